"""Benchmark the journal chart against issue 8's bars, each beside a peer measured in the same run.

1. Render + lint: `kbp lint --chart charts/journal` (which runs `helm template` and lints its output)
   with the dev values, against `helm template` alone. Bar: under 1 second.
2. Install: `helm install --wait` with the dev values into a fresh local control plane, against the
   one-Deployment fixture chart (tests/fixtures/charts/tiny) installed the same way. Bar: under 60 s.

    .venv/bin/python -m bench.chart [--repeat 5]        # from the repository root
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from kbp.charts import journal_chart
from kbp.cluster import binaries, launcher
from kbp.cluster.layout import Layout

CHART = journal_chart()
DEV = CHART / "values-dev.yaml"
TAGS = ("--set", "image.api.tag=v0.1.0-abcdef1", "--set", "image.fileserver.tag=v0.1.0-abcdef1")
TINY = Path(__file__).parents[1] / "tests" / "fixtures" / "charts" / "tiny"


def timed(cmd: Sequence[str], env: dict[str, str] | None = None) -> float:
    began = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - began
    if result.returncode not in (0,):
        sys.exit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return elapsed


def render_and_lint(helm: Path, repeat: int) -> None:
    template = [str(helm), "template", "journal", str(CHART), "-f", str(DEV), *TAGS]
    lint = [
        sys.executable,
        "-m",
        "kbp",
        "lint",
        "--chart",
        str(CHART),
        "-f",
        str(DEV),
        "--release-name",
        "journal",
    ]
    for t in TAGS[1::2]:
        lint += ["--set", t]
    env = {**os.environ, "KBP_HELM": str(helm)}
    helm_times, lint_times = [], []
    for _ in range(repeat):  # interleaved, so both see the same machine
        helm_times.append(timed(template, env))
        lint_times.append(timed(lint, env))
    best_helm, best_lint = min(helm_times), min(lint_times)
    mid_helm, mid_lint = statistics.median(helm_times), statistics.median(lint_times)
    verdict = "PASS" if best_lint < 1 else "FAIL"
    print(f"helm template alone:            best {best_helm:.3f} s  median {mid_helm:.3f} s")
    print(f"kbp lint --chart (render+lint): best {best_lint:.3f} s  median {mid_lint:.3f} s")
    print(f"  ratio to helm template: {best_lint / best_helm:.2f}x   bar < 1 s: {verdict}")


def install(bins: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="kbp-bench-chart-") as tmp:
        layout = Layout.at(Path(tmp) / "cluster")
        cluster = launcher.up(bins, layout)
        try:
            home = Path(tmp) / "helm"
            env = {
                **os.environ,
                "KUBECONFIG": str(cluster.kubeconfig),
                "HELM_CACHE_HOME": str(home / "cache"),
                "HELM_CONFIG_HOME": str(home / "config"),
                "HELM_DATA_HOME": str(home / "data"),
            }
            kubectl, helm = str(bins / "kubectl"), str(bins / "helm")
            timed([kubectl, "apply", "--server-side", "-f", str(bins / "gateway-api-crds.yaml")], env)
            timed(
                [kubectl, "wait", "--for=condition=Established", "crd/httproutes.gateway.networking.k8s.io"],
                env,
            )
            wait = ("--create-namespace", "--wait", "--timeout", "180s")
            tiny = timed([helm, "install", "tiny", str(TINY), "-n", "bench-tiny", *wait], env)
            journal = timed(
                [helm, "install", "journal", str(CHART), "-n", "bench-journal", "-f", str(DEV), *TAGS, *wait],
                env,
            )
        finally:
            launcher.down(layout)
    print(f"helm install --wait, tiny fixture chart:     {tiny:.1f} s")
    print(f"helm install --wait, journal (dev values):   {journal:.1f} s")
    print(
        f"  ratio to the tiny chart: {journal / tiny:.2f}x   bar < 60 s: {'PASS' if journal < 60 else 'FAIL'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-install", action="store_true")
    args = parser.parse_args()
    bins = binaries.resolve()
    render_and_lint(bins / "helm", args.repeat)
    if not args.skip_install:
        install(bins)


if __name__ == "__main__":
    main()
