"""Benchmark `kbp fleet status` and `kbp fleet apply` over three local control planes.

Starts three clusters at once (`kbp cluster up --name`, kwok nodes), a services helmfile with one
local chart and the real journal chart, then measures, in this run:
- a clean `kbp fleet apply` (nothing installed yet) and a second one (nothing to change), against
  the bar from issue 22: a clean apply over 3 clusters under 60 s;
- `kbp fleet status` over the 3 clusters against one cluster's `kbp cluster-services status`,
  interleaved round by round: the bar is a median ratio under 1.5x. Each one's CPU (its own and
  the helmfile processes it waited for) is printed too: on a busy machine wall time follows it.
Every cluster is stopped on the way out, whatever happens.

    .venv/bin/python -m bench.fleet [--rounds 7]      # from the repo root
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

from kbp.cluster import binaries

APPLY_BAR_S = 60.0
STATUS_BAR_RATIO = 1.5
NAMES = ("canary", "dev", "prod")
CHART = Path("tests/fixtures/charts/svc-notes")
SERVICES = """\
environments:
  dev: {}
---
helmDefaults:
  createNamespace: true
releases:
  - name: notes
    namespace: fleet-svc
    chart: ./charts/svc-notes
    version: 0.3.0
"""


def fleet_file(root: Path, state: Path) -> Path:
    doc = {
        "apiVersion": "kbp.dev/v1",
        "kind": "Fleet",
        "services": {"file": "services/helmfile.yaml", "environment": "dev"},
        "journal": {"tag": "v1.0.0-abcdef01", "values": {"exposure": {"kind": "none"}}},
        "waves": [{"name": "canary", "selector": "canary=true"}],
        "clusters": [
            {"name": n, "kubeconfig": str(state / "clusters" / n / "admin.kubeconfig"),
             "labels": {"env": "dev", **({"canary": "true"} if n == "canary" else {})}}
            for n in NAMES
        ],
    }  # fmt: skip
    (root / "services" / "charts").mkdir(parents=True)
    subprocess.run(["cp", "-r", str(CHART), str(root / "services" / "charts")], check=True)
    (root / "services" / "helmfile.yaml").write_text(SERVICES)
    path = root / "fleet.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def run(argv: list[str], env: dict[str, str], *, ok: tuple[int, ...] = (0,)) -> float:
    return timed(argv, env, ok=ok)[0]


def timed(argv: list[str], env: dict[str, str], *, ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the command with every process it waited for (helmfile too)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, timeout=900)
    elapsed = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in ok:
        sys.exit(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    bins = binaries.resolve()
    kbp = [sys.executable, "-m", "kbp"]
    with tempfile.TemporaryDirectory(prefix="kbp-bench-fleet-") as tmp:
        root = Path(tmp)
        env = {
            **os.environ,
            "KBP_STATE": str(root / "state"),
            "KBP_FLEET_CACHE": str(root / "cache"),
            "KBP_HELM": str(bins / "helm"),
            "PATH": f"{bins}{os.pathsep}{os.environ['PATH']}",
            "HELM_CACHE_HOME": str(root / "helm" / "cache"),
            "HELM_CONFIG_HOME": str(root / "helm" / "config"),
            "HELM_DATA_HOME": str(root / "helm" / "data"),
        }
        path = fleet_file(root, root / "state")
        fleet = ["--fleet-file", str(path)]
        try:
            began = time.perf_counter()
            with ThreadPoolExecutor(len(NAMES)) as pool:
                list(
                    pool.map(
                        lambda n: run(
                            [*kbp, "cluster", "up", "--name", n, "--bin-dir", str(bins), "--timeout", "180"],
                            env,
                        ),
                        NAMES,
                    )
                )
            print(f"3 clusters up at once      {time.perf_counter() - began:6.2f} s")
            clean = run([*kbp, "fleet", "apply", *fleet], env)
            again = run([*kbp, "fleet", "apply", *fleet], env)
            verdict = "PASS" if clean < APPLY_BAR_S else "FAIL"
            print(f"clean fleet apply (3)      {clean:6.2f} s  bar {APPLY_BAR_S:g} s -> {verdict}")
            print(f"second fleet apply (3)     {again:6.2f} s  (nothing to change)")
            one = [*kbp, "cluster-services", "status", "-f", str(root / "services"), "-e", "dev",
                   "--kubeconfig", str(root / "state" / "clusters" / "dev" / "admin.kubeconfig")]  # fmt: skip
            single: list[tuple[float, float]] = []
            whole: list[tuple[float, float]] = []
            for _ in range(args.rounds):
                single.append(timed(one, env))
                whole.append(timed([*kbp, "fleet", "status", *fleet], env))
            wall = [statistics.median(w for w, _ in runs) for runs in (single, whole)]
            cpu = [statistics.median(c for _, c in runs) for runs in (single, whole)]
            ratio, n = wall[1] / wall[0], args.rounds
            verdict = "PASS" if ratio < STATUS_BAR_RATIO else "FAIL"
            print(f"cluster-services status (1) median {wall[0]:5.2f} s, CPU {cpu[0]:.2f} s (n={n})")
            print(f"fleet status (3)            median {wall[1]:5.2f} s, CPU {cpu[1]:.2f} s (n={n})")
            print(f"ratio fleet/one            {ratio:6.2f}x  bar {STATUS_BAR_RATIO}x -> {verdict}")
            print(f"CPU ratio fleet/one        {cpu[1] / cpu[0]:6.2f}x  (CPU includes helmfile)")
        finally:
            for n in NAMES:
                subprocess.run(
                    [*kbp, "cluster", "down", "--name", n], env=env, capture_output=True, check=False
                )


if __name__ == "__main__":
    main()
