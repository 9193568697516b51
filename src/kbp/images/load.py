"""Load built images into a node's containerd, in the CRI's namespace, under the release's tags."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence

from kbp.goenv import go_env
from kbp.images.build import Built
from kbp.images.buildah import BuildError

# The argv of `ctr` against the node: RealNode.ctr.
Ctr = Callable[..., list[str]]


def refs(built: Built, tag: str) -> tuple[str, ...]:
    """The names the image is loaded under: the release's tag, or its own fixed name (pause)."""
    return (built.ref,) if built.retag is None else (f"{built.retag}:{tag}",)


def _ctr(ctr: Ctr, what: str, *args: str) -> None:
    argv = ctr(*args)
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=600, env=go_env())
    except FileNotFoundError as err:
        raise BuildError(f"{what}: {argv[0]} not found") from err
    if done.returncode != 0:
        raise BuildError(f"{what} failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()}")


def load(ctr: Ctr, images: Sequence[Built], tag: str) -> list[str]:
    """Import each archive and tag it; returns every name now in the node."""
    loaded = []
    for built in images:
        _ctr(ctr, f"ctr images import {built.archive.name}", "images", "import", str(built.archive))
        for ref in refs(built, tag):
            if ref != built.ref:
                _ctr(ctr, f"ctr images tag {ref}", "images", "tag", "--force", built.ref, ref)
            loaded.append(ref)
    return loaded
