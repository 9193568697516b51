"""Find the control-plane binaries: an explicit directory, or whatever testenv/build.sh prints."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

BIN_ENV = "KBP_TESTENV_BIN"
REQUIRED = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kwok",
    "kwok-stages.yaml",
    "gateway-api-crds.yaml",
)


class BinariesError(Exception):
    """The binaries are missing or the build failed."""


def build_script() -> Path:
    """testenv/build.sh of the checkout this package runs from, else of the working directory."""
    here = Path(__file__).resolve().parents[3] / "testenv" / "build.sh"
    return here if here.is_file() else Path.cwd() / "testenv" / "build.sh"


def check(bin_dir: Path) -> Path:
    missing = [name for name in REQUIRED if not (bin_dir / name).is_file()]
    if missing:
        raise BinariesError(f"{bin_dir} lacks {', '.join(missing)}; run `make controlplane`")
    return bin_dir


def build(script: Path | None = None) -> Path:
    """Run the (cache-aware) build script; its last stdout line is the binaries directory."""
    script = script or build_script()
    if not script.is_file():
        raise BinariesError(f"no build script at {script}")
    # Build output goes straight to our stderr: a cold build takes many minutes, show progress.
    result = subprocess.run(["bash", str(script)], stdout=subprocess.PIPE, text=True, check=False)
    lines = result.stdout.strip().splitlines()
    if result.returncode != 0 or not lines:
        raise BinariesError(f"{script} failed with exit code {result.returncode}")
    return check(Path(lines[-1]))


def resolve(bin_dir: Path | None = None) -> Path:
    """An explicit directory, then $KBP_TESTENV_BIN, then a (cached) build."""
    explicit = bin_dir or (Path(os.environ[BIN_ENV]) if os.environ.get(BIN_ENV) else None)
    return check(explicit) if explicit is not None else build()
