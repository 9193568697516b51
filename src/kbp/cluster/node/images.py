"""Images without a registry or a builder: a few static files wrapped as a docker-archive.

`ctr images import` keeps a docker-archive's `RepoTags`, so kubelet finds the image by the name a
pod (or containerd's sandbox setting) gives it. Used for the pause image the node needs before
any pod can start, and for test images of one static binary; `import_image` loads any archive.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import tarfile
from collections.abc import Sequence
from pathlib import Path

from kbp.cluster.record import RealNode
from kbp.goenv import go_env


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def layer(files: dict[str, Path]) -> bytes:
    """A layer tar of `files` (path in the image -> file on the host), executable, mtime 0."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, source in sorted(files.items()):
            _add(tar, name.lstrip("/"), source.read_bytes(), 0o755)
    return buf.getvalue()


def docker_archive(dest: Path, tag: str, files: dict[str, Path], entrypoint: Sequence[str]) -> Path:
    """Write a one-layer docker-archive at `dest` tagged `tag` (e.g. `registry.k8s.io/pause:3.10.2`)."""
    blob = layer(files)
    diff_id = hashlib.sha256(blob).hexdigest()
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Entrypoint": list(entrypoint), "User": "65535:65535"},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff_id}"]},
        "history": [{"created_by": "kbp.cluster.node.images"}],
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    config_name = f"{hashlib.sha256(config_bytes).hexdigest()}.json"
    manifest = [{"Config": config_name, "RepoTags": [tag], "Layers": [f"{diff_id}/layer.tar"]}]
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(dest, "w") as tar:
        _add(tar, f"{diff_id}/layer.tar", blob)
        _add(tar, config_name, config_bytes)
        _add(tar, "manifest.json", json.dumps(manifest).encode())
    return dest


def load_binary(node: RealNode, into: Path, binary: str, ref: str) -> None:
    """A one-layer image of a binary built here (the pause sandbox, CoreDNS), imported into the node."""
    files = {f"/{binary}": node.bin_dir / binary}
    import_image(node, docker_archive(into / f"{binary}.tar", ref, files, [f"/{binary}"]))


def import_image(node: RealNode, archive: Path) -> None:
    """Import an image archive (docker-archive or OCI) into the node's containerd."""
    result = subprocess.run(
        node.ctr("images", "import", str(archive)), capture_output=True, text=True, check=False, env=go_env()
    )
    if result.returncode != 0:
        raise OSError(f"ctr images import {archive} failed: {result.stderr.strip()}")
