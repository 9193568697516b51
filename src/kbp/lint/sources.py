"""Find and read lint inputs: files, directories (recursively), stdin. The only disk I/O of lint."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Literal

from kbp.lint.errors import InputError
from kbp.lint.manifests import Release

MAX_BYTES = 64 * 1024 * 1024  # larger inputs are refused, not parsed: a manifest set is never this big
YAML_SUFFIXES = (".yaml", ".yml")
NOT_MANIFESTS = frozenset({"kustomization.yaml", "kustomization.yml", "kbp-lint.yaml", ".kbp-lint.yaml"})

SourceKind = Literal["yaml", "dockerfile"]


@dataclass(frozen=True)
class Source:
    name: str
    text: str
    kind: SourceKind
    release: Release | None = None  # set for what lint rendered from a chart or a helmfile


@dataclass
class Collected:
    sources: list[Source] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


# BuildKit reads `<Dockerfile>.dockerignore` beside a Dockerfile: an ignore list, not a Dockerfile.
_NOT_DOCKERFILES = (".dockerignore", ".containerignore")


def is_dockerfile(name: str) -> bool:
    base = os.path.basename(name)
    lower = base.lower()
    if lower.endswith(_NOT_DOCKERFILES):
        return False
    return (
        lower in {"dockerfile", "containerfile"}
        or lower.startswith(("dockerfile.", "containerfile."))
        or lower.endswith((".dockerfile", ".containerfile"))
    )


def decode(name: str, data: bytes, kind: SourceKind) -> Source:
    """Bytes to a Source, refusing binary and non-UTF-8 input with the line where it fails."""
    if len(data) > MAX_BYTES:
        raise InputError(name, 1, 1, f"file is {len(data)} bytes; the limit is {MAX_BYTES}")
    nul = data.find(b"\0", 0, 8192)
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise InputError(name, line, 1, "binary data (NUL byte); expected YAML text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        col = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise InputError(name, line, col, "not UTF-8 text; expected YAML") from None
    return Source(name, text, kind)


def _walk(root: Path, out: Collected) -> Iterator[Path]:
    if (root / "Chart.yaml").is_file():
        out.notices.append(f"{root}: skipped a Helm chart directory; lint it with --chart {root}")
        return
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as err:
        out.errors.append(InputError(str(root), 1, 1, f"cannot read directory: {err.strerror}"))
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(path, out)
        elif entry.name in NOT_MANIFESTS:
            continue
        elif entry.name.endswith(YAML_SUFFIXES) or is_dockerfile(entry.name):
            yield path


def collect(paths: Sequence[str], stdin: BinaryIO | None = None) -> Collected:
    """Read every input; unreadable ones become InputErrors, not exceptions."""
    out = Collected()
    for raw in paths:
        if raw == "-":
            data = stdin.read() if stdin is not None else b""
            _add(out, "<stdin>", data)
            continue
        path = Path(raw)
        if path.is_dir():
            for file in _walk(path, out):
                _read(out, file)
        elif path.exists():
            _read(out, path)
        else:
            out.errors.append(InputError(raw, 1, 1, "no such file or directory"))
    return out


def _read(out: Collected, path: Path) -> None:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(str(path), 1, 1, f"file is {size} bytes; the limit is {MAX_BYTES}")
        data = path.read_bytes()
    except InputError as err:
        out.errors.append(err)
        return
    except OSError as err:
        out.errors.append(InputError(str(path), 1, 1, f"cannot read: {err.strerror}"))
        return
    _add(out, str(path), data)


def _add(out: Collected, name: str, data: bytes) -> None:
    kind: SourceKind = "dockerfile" if is_dockerfile(name) else "yaml"
    try:
        out.sources.append(decode(name, data, kind))
    except InputError as err:
        out.errors.append(err)
