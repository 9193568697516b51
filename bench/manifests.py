"""CPU of reading a rendered chart (kbp.manifests, libyaml) against PyYAML's pure-Python loader,
and of `kbp deploy`'s object diff against the way it was done before (every object loaded and
dumped by PyYAML's own code). The input is the journal chart rendered by helm with the dev values,
and the same with another image tag; both sides run in turn, `--repeat` times.

    .venv/bin/python -m bench.manifests [--repeat 20]   # repo root
"""

from __future__ import annotations

import argparse
import subprocess
import time
from collections.abc import Callable

import yaml

from kbp import manifests
from kbp.lint.helm import find_helm
from kbp.release import deploy


def render(tag: str) -> str:
    argv = [find_helm(), "template", "j", "charts/journal", "-f", "charts/journal/values-dev.yaml"]
    return subprocess.run(
        [*argv, "--set", f"image.api.tag={tag}"], capture_output=True, text=True, check=True
    ).stdout


def pure_diff(before: str, after: str) -> dict[str, str]:
    """deploy.diff's comparison before kbp.manifests: each object dumped, the dumps compared."""

    def objects(text: str) -> dict[str, str]:
        docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict) and "kind" in d]
        for d in docs:
            if d["kind"] == "Secret":
                d.update({k: dict.fromkeys(d.get(k) or {}, "(hidden)") for k in ("data", "stringData")})
        return {f"{d['kind']}/{d['metadata']['name']}": yaml.safe_dump(d, sort_keys=True) for d in docs}

    old, new = objects(before), objects(after)
    return {ref: new[ref] for ref in old.keys() & new.keys() if old[ref] != new[ref]}


def cpu(work: Callable[[], object], repeat: int) -> float:
    began = time.process_time()
    for _ in range(repeat):
        work()
    return (time.process_time() - began) / repeat


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    repeat = parser.parse_args().repeat
    before, after = render("v1"), render("v2")
    assert list(yaml.safe_load_all(before)) == list(manifests.load_all(before))
    assert set(pure_diff(before, after)) == set(deploy.diff(before, after).changed) != set()
    pairs = {
        "load the rendered chart": (
            lambda: list(yaml.safe_load_all(before)),
            lambda: list(manifests.load_all(before)),
        ),
        "deploy's diff (one tag changed)": (
            lambda: pure_diff(before, after),
            lambda: deploy.diff(before, after),
        ),
    }
    print(f"{'work (CPU ms)':<34} {'PyYAML':>8} {'kbp':>8} {'ratio':>6}   ({len(before)} bytes of YAML)")
    for name, (old, new) in pairs.items():
        old_s = new_s = 0.0
        for _ in range(repeat):
            old_s += cpu(old, 1)
            new_s += cpu(new, 1)
        print(f"{name:<34} {old_s / repeat * 1000:>8.1f} {new_s / repeat * 1000:>8.1f} {new_s / old_s:>6.2f}")


if __name__ == "__main__":
    main()
