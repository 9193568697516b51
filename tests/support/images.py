"""The images `kbp image build` makes, for tests: built once per session, run with buildah and runc.

The build is the real command (`kbp image build -o json`), into the same cache a developer's builds
use, so a warm machine builds nothing. Containers run from the build's own buildah store with runc,
in the host's network (loopback only), and are removed afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbp.images.build import default_cache
from kbp.images.buildah import RUNTIME, Buildah
from support.processes import stop_group

ROOT = Path(__file__).parents[2]
BUILD_TIMEOUT_S = 1800


def build(*names: str) -> list[dict[str, Any]]:
    """`kbp image build --no-load -o json` for the named images (the default set when none); its rows."""
    argv = [sys.executable, "-m", "kbp", "image", "build", *names, "--allow-dirty", "--no-load", "-o", "json"]
    done = subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
    )
    assert done.returncode == 0, f"kbp image build failed:\n{done.stderr[-4000:]}"
    return list(json.loads(done.stdout)["items"])


@dataclass(frozen=True)
class Archive:
    """A docker-archive as `ctr images import` reads it: its manifest, config and layer listing."""

    path: Path

    def manifest(self) -> dict[str, Any]:
        with tarfile.open(self.path) as tar:
            member = tar.extractfile("manifest.json")
            assert member is not None
            return dict(json.load(member)[0])

    def config(self) -> dict[str, Any]:
        with tarfile.open(self.path) as tar:
            member = tar.extractfile(self.manifest()["Config"])
            assert member is not None
            return dict(json.load(member)["config"])

    def files(self) -> set[str]:
        """Every path in every layer, without a leading ./ or /."""
        found: set[str] = set()
        with tarfile.open(self.path) as tar:
            for layer in self.manifest()["Layers"]:
                member = tar.extractfile(layer)
                assert member is not None
                with tarfile.open(fileobj=member) as inner:
                    found.update(name.removeprefix("./").lstrip("/") for name in inner.getnames())
        return found

    def contents(self, suffix: str) -> list[bytes]:
        """The content of every regular file, in any layer, whose path ends with `suffix`."""
        found: list[bytes] = []
        with tarfile.open(self.path) as tar:
            for layer in self.manifest()["Layers"]:
                member = tar.extractfile(layer)
                assert member is not None
                with tarfile.open(fileobj=member) as inner:
                    for info in inner:
                        if info.isfile() and info.name.endswith(suffix):
                            data = inner.extractfile(info)
                            assert data is not None
                            found.append(data.read())
        return found


def local_cas() -> list[bytes]:
    """The base64 bodies of the CAs this host added to its bundle (where a TLS proxy's CA goes)."""
    bodies = []
    for path in sorted(Path("/usr/local/share/ca-certificates").glob("*.crt")):
        for block in path.read_bytes().split(b"-----BEGIN CERTIFICATE-----")[1:]:
            body = block.split(b"-----END CERTIFICATE-----")[0]
            bodies.append(b"".join(body.split()))
    return bodies


def store() -> Buildah:
    return Buildah(default_cache() / "buildah")


@contextmanager
def running(
    ref: str,
    argv: Sequence[str],
    *,
    log: Path,
    user: str | None = None,
    env: dict[str, str] | None = None,
    volumes: Sequence[str] = (),
) -> Iterator[subprocess.Popen[bytes]]:
    """`argv` in a container of `ref` (runc, host network), stopped and removed on exit."""
    buildah = store()
    name = f"kbp-test-{uuid.uuid4().hex[:8]}"
    container = buildah.run("buildah from", "from", "--name", name, ref)
    args = ["run", "--runtime", RUNTIME, "--network", "host"]
    if user:
        args += ["--user", user]
    for key, value in (env or {}).items():
        args += ["--env", f"{key}={value}"]
    for volume in volumes:
        args += ["-v", volume]
    full = buildah.argv(*args, container, "--", *argv)
    with log.open("wb") as out:
        process = subprocess.Popen(full, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        stop_group(process, 20.0)
        subprocess.run(buildah.argv("rm", container), capture_output=True, check=False, timeout=120)
