"""Benchmark `kbp deploy --env dev` and the `kbp config set` round trip on the local control plane.

Starts its own control plane (testenv's binaries, kwok nodes), installs the Gateway API CRDs, then per
round deploys the journal into a fresh namespace (helm upgrade --install + waiting until every
workload is ready) and runs `kbp config set` (next ConfigMap, re-point, API rollout, prune) several
times. Prints each figure against its bar from issue 9: deploy ready < 60 s, config set < 10 s.

    .venv/bin/python -m bench.deploy [--rounds 3] [--sets 5]      # from the repo root
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kbp import kube
from kbp.cluster import binaries, launcher
from kbp.cluster.layout import Layout

DEPLOY_BAR_S = 60.0
SET_BAR_S = 10.0
TAG = "v1.0.0-abcdef01"


def timed(cmd: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False, timeout=600)
    elapsed = time.perf_counter() - began
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def report(what: str, samples: list[float], bar: float) -> None:
    median = statistics.median(samples)
    verdict = "PASS" if max(samples) < bar else "FAIL"
    print(
        f"{what:<22} median {median:6.2f} s  max {max(samples):6.2f} s  (n={len(samples)})  "
        f"bar {bar:g} s: median is {median / bar:.0%} of the bar -> {verdict}"
    )


def wait_for_service_account(client: kube.KubeClient, namespace: str) -> None:
    kube.wait_for(
        lambda: kube.find(client, "v1", "ServiceAccount", "default", namespace),
        timeout=60,
        what=f"the default ServiceAccount of {namespace}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="deploys, each into a fresh namespace")
    parser.add_argument("--sets", type=int, default=5, help="config set round trips per deploy")
    args = parser.parse_args()

    bins = binaries.resolve()
    with tempfile.TemporaryDirectory(prefix="kbp-bench-deploy-") as scratch:
        layout = Layout.at(Path(scratch) / "cluster")
        cluster = launcher.up(bins, layout)
        try:
            env = {
                **os.environ,
                "KUBECONFIG": str(cluster.kubeconfig),
                "KBP_HELM": str(bins / "helm"),
                "HELM_CACHE_HOME": f"{scratch}/helm/cache",
                "HELM_CONFIG_HOME": f"{scratch}/helm/config",
                "HELM_DATA_HOME": f"{scratch}/helm/data",
            }
            kubectl = [str(bins / "kubectl")]
            crds = str(bins / "gateway-api-crds.yaml")
            subprocess.run(
                [*kubectl, "apply", "--server-side", "-f", crds], env=env, check=True, capture_output=True
            )
            kbp = [sys.executable, "-m", "kbp"]
            deploys: list[float] = []
            sets: list[float] = []
            with kube.connect(cluster.kubeconfig) as client:
                for round_ in range(args.rounds):
                    ns = f"bench-{round_}"
                    kube.apply(client, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
                    wait_for_service_account(client, ns)
                    deploys.append(timed([*kbp, "deploy", "--env", "dev", "--tag", TAG, "-n", ns], env))
                    for n in range(args.sets):
                        sets.append(timed([*kbp, "config", "set", f"entries={20 + n}", "-n", ns], env))
            print(f"control plane: kube-apiserver 1.37 + kwok, {os.cpu_count()} CPUs")
            report("kbp deploy --env dev", deploys, DEPLOY_BAR_S)
            report("kbp config set", sets, SET_BAR_S)
        finally:
            launcher.down(layout)


if __name__ == "__main__":
    main()
