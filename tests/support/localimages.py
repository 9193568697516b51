"""The repository's images, built here and loaded into a cluster's real node, and values naming them.

`kbp image build NAME... --load` is the real command (cached across runs: a warm machine only
imports). The chart's defaults name public registries; these values point it at what was loaded,
with a pull policy that never pulls (no registry is reachable).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support.controlplane import ControlPlane

ROOT = Path(__file__).parents[2]
BUILD_TIMEOUT_S = 1800


def load(plane: ControlPlane, *names: str) -> dict[str, str]:
    """Build (cached) and load `names` into the plane's node; name -> the ref the node has it under.

    The node keeps what it was given (`loaded-images.json` in its state): a name loaded once, by
    any module or xdist worker sharing the node, is not imported again (200 MB for the API's).
    """
    record = plane.layout.root / "loaded-images.json"
    with plane.importing_images():
        loaded: dict[str, str] = json.loads(record.read_text()) if record.exists() else {}
        missing = [name for name in names if name not in loaded]
        if missing:
            argv = [sys.executable, "-m", "kbp", "image", "build", *missing, "--allow-dirty", "--load"]
            argv += ["--state-dir", str(plane.layout.root), "-o", "json"]
            done = subprocess.run(
                argv, cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
            )
            assert done.returncode == 0, f"kbp image build --load failed:\n{done.stderr[-4000:]}"
            rows = json.loads(done.stdout)["items"]
            assert all(row["loaded"] for row in rows), rows
            loaded |= {row["name"]: row["ref"] for row in rows}
            record.write_text(json.dumps(loaded))
    return {name: loaded[name] for name in names}


def journal_values(refs: dict[str, str]) -> dict[str, object]:
    """The journal chart's image values for the loaded api, fileserver and redis images."""
    image: dict[str, dict[str, str]] = {}
    for name in ("api", "fileserver", "redis"):
        repository, tag = refs[name].rsplit(":", 1)
        image[name] = {"repository": repository, "tag": tag, "digest": ""}
    return {"image": image, "imagePullPolicy": "Never"}


def journal_values_file(refs: dict[str, str], directory: Path) -> Path:
    path = directory / "local-images.json"
    path.write_text(json.dumps(journal_values(refs)))
    return path
