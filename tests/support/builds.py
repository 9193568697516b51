"""The testenv build scripts, run from tests: each prints its cache directory as its last line."""

from __future__ import annotations

import subprocess
from pathlib import Path


def built(script: Path, *files: str) -> Path:
    """The (cached) directory `script` builds, holding `files`; fails, never skips, when the build does."""
    done = subprocess.run(["bash", str(script)], stdout=subprocess.PIPE, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    assert done.returncode == 0, f"{script} failed with exit code {done.returncode}"
    assert lines, f"{script} printed no directory"
    out = Path(lines[-1])
    missing = [name for name in files if not (out / name).is_file()]
    assert not missing, f"{out} lacks {', '.join(missing)}"
    return out
