"""Benchmark `kbp image build`: a cold build (an empty image cache) against a warm one (the same
inputs again: every image a cache hit), in the same run, per image and in total.

Cold means no bases, layers or archives; the downloaded .debs and package lists and the host's uv
cache are kept unless --no-apt-cache, since a developer's machine has them after the first build.

    .venv/bin/python -m bench.images [--no-apt-cache]        # from the repository root
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kbp.images.build import default_cache

ROOT = Path(__file__).parents[1]


def build(cache: Path) -> tuple[float, list[dict[str, Any]]]:
    argv = [sys.executable, "-m", "kbp", "image", "build", "--allow-dirty", "--no-load", "-o", "json"]
    env = {**os.environ, "KBP_IMAGE_CACHE": str(cache)}
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"kbp image build failed ({done.returncode}):\n{done.stderr}")
    return elapsed, json.loads(done.stdout)["items"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-apt-cache", action="store_true", help="download every .deb and list again")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kbp-bench-images-", dir=default_cache().parent) as scratch:
        cache = Path(scratch)
        apt = default_cache() / "apt"
        if apt.is_dir() and not args.no_apt_cache:
            shutil.copytree(apt, cache / "apt")
        cold, cold_rows = build(cache)
        warm, warm_rows = build(cache)
        # vfs layers are read-only for the owner only; let the cleanup remove them.
        subprocess.run(["chmod", "-R", "u+w", str(cache)], check=False)
    print(f"{'image':<12}{'cold s':>10}{'warm s':>10}  cached (warm)")
    warm_by_name = {row["name"]: row for row in warm_rows}
    for row in cold_rows:
        again = warm_by_name[row["name"]]
        print(f"{row['name']:<12}{row['seconds']:>10.1f}{again['seconds']:>10.1f}  {again['cached']}")
    print(f"{'total':<12}{cold:>10.1f}{warm:>10.1f}  (wall clock, with the bases)")
    hits = all(row["cached"] for row in warm_rows)
    print(f"warm / cold: {warm / cold:.3f}   every warm image a cache hit: {hits}")


if __name__ == "__main__":
    main()
