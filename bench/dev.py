"""Benchmark `kbp dev up` with an onboarded developer's own kubeconfig, beside `kbp deploy --env dev`
as an admin, on the local control plane, in one run. Bar (issue 12): dev up ready in under 60 s.

Per round: `kbp user add` a fresh developer (not timed), then `kbp dev up` with their kubeconfig
(whoami, namespace check, helm upgrade --install, wait for every workload), then the admin's
`kbp deploy --env dev` into a fresh namespace of its own.

    .venv/bin/python -m bench.dev [--rounds 3]      # from the repo root
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from bench.deploy import DEPLOY_BAR_S, TAG, report, timed, wait_for_service_account

from kbp import kube
from kbp.cluster import binaries, launcher
from kbp.cluster.layout import Layout


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    bins = binaries.resolve()
    with tempfile.TemporaryDirectory(prefix="kbp-bench-dev-") as scratch:
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
            kbp = [sys.executable, "-m", "kbp"]
            dev_up: list[float] = []
            deploys: list[float] = []
            with kube.connect(cluster.kubeconfig) as admin:
                for round_ in range(args.rounds):
                    user = f"bench-dev-{round_}"
                    config = Path(scratch) / f"{user}.kubeconfig"
                    timed([*kbp, "user", "add", user, "--team", "bench", "--out", str(config)], env)
                    wait_for_service_account(admin, f"dev-{user}")
                    dev_up.append(timed([*kbp, "dev", "up", "--kubeconfig", str(config), "--tag", TAG], env))
                    ns = f"bench-admin-{round_}"
                    kube.apply(admin, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
                    wait_for_service_account(admin, ns)
                    values = Path(scratch) / "none.json"
                    values.write_text('{"exposure": {"kind": "none"}}')
                    cmd = [*kbp, "deploy", "--env", "dev", "--tag", TAG, "-n", ns, "-f", str(values)]
                    deploys.append(timed(cmd, env))
            print(f"control plane: kube-apiserver 1.37 + kwok, {os.cpu_count()} CPUs")
            report("kbp dev up (developer)", dev_up, DEPLOY_BAR_S)
            report("kbp deploy (admin)", deploys, DEPLOY_BAR_S)
            ratio = sorted(dev_up)[len(dev_up) // 2] / sorted(deploys)[len(deploys) // 2]
            print(f"dev up / deploy, medians: {ratio:.2f}x (the namespace check and whoami on top)")
        finally:
            launcher.down(layout)


if __name__ == "__main__":
    main()
