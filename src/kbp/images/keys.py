"""Content-addressed cache keys: what goes into an image, hashed (pure).

An image's key covers its Dockerfile, every file its COPY and ADD lines take from the build context,
its base's key and the tools' versions; a base's key covers its suite, packages, hooks and config.
The same inputs give the same key on any machine, so a second build with nothing changed is a hit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kbp.images.catalog import SUITE, Base

# Bump when the way images are built changes in a way the inputs do not show.
RECIPE = 2
KEY_LENGTH = 16


@dataclass(frozen=True)
class Input:
    """One file of the build context: its path from the repository root, exec bit and content hash."""

    path: str
    executable: bool
    sha256: str


def _logical_lines(text: str) -> Iterator[str]:
    buf = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        yield buf + stripped
        buf = ""
    if buf:
        yield buf


def copy_sources(dockerfile: str) -> tuple[str, ...]:
    """The context paths COPY and ADD take (not those --from another stage), in order, deduplicated."""
    found: list[str] = []
    for line in _logical_lines(dockerfile):
        keyword, _, rest = line.partition(" ")
        if keyword.upper() not in ("COPY", "ADD"):
            continue
        rest = rest.strip()
        if rest.startswith("["):
            words = [str(word) for word in json.loads(rest)]
            flags: list[str] = []
        else:
            parts = rest.split()
            flags = [word for word in parts if word.startswith("--")]
            words = [word for word in parts if not word.startswith("--")]
        if any(flag.startswith("--from=") for flag in flags) or len(words) < 2:
            continue
        for source in words[:-1]:
            path = source.rstrip("/").removeprefix("./") or "."
            if path not in found:
                found.append(path)
    return tuple(found)


def _digest(doc: object) -> str:
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:KEY_LENGTH]


def base_key(base: Base, tools: str) -> str:
    return _digest(
        {
            "recipe": RECIPE,
            "suite": SUITE,
            "name": base.name,
            "packages": sorted(base.packages),
            "hooks": list(base.hooks),
            "config": list(base.config),
            "dpkg": list(base.dpkg_options),
            "tools": tools,
        }
    )


def image_key(
    name: str, repository: str, *, dockerfile: str | None, inputs: Iterable[Input], base: str, tools: str
) -> str:
    """The key of an image; `repository` too, since the archive holds the image under that name."""
    files = sorted(inputs, key=lambda item: item.path)
    return _digest(
        {
            "recipe": RECIPE,
            "name": name,
            "repository": repository,
            "dockerfile": dockerfile,
            "inputs": [[item.path, item.executable, item.sha256] for item in files],
            "base": base,
            "tools": tools,
        }
    )
