"""Onboarding developers with the real `kbp user add` CLI, for integration tests."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbp import kube
from support.controlplane import ControlPlane

TIMEOUT = 60.0


@dataclass(frozen=True)
class Onboarded:
    name: str
    namespace: str
    kubeconfig: Path
    result: dict[str, Any]  # `kbp user add -o json`

    def client(self) -> kube.KubeClient:
        """A client that authenticates with the generated kubeconfig, as the user."""
        return kube.connect(self.kubeconfig)


def kbp(cluster: ControlPlane, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real CLI with the cluster's admin kubeconfig in $KUBECONFIG."""
    result = subprocess.run(
        [sys.executable, "-m", "kbp", *args],
        env=cluster.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"kbp {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
        )
    return result


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def onboard(cluster: ControlPlane, directory: Path, name: str, *extra: str) -> Onboarded:
    out = directory / f"{name}.kubeconfig"
    args = ["user", "add", name, "--team", "payments", "--groups", "dev,qa", "--out", str(out), "-o", "json"]
    result = json.loads(kbp(cluster, *args, *extra).stdout)
    onboarded = Onboarded(name, result["namespace"], out, result)
    with cluster.client() as admin:
        # Pods need the namespace's default ServiceAccount, which the controller-manager adds.
        kube.wait_for(
            lambda: kube.find(admin, "v1", "ServiceAccount", "default", onboarded.namespace),
            timeout=TIMEOUT,
            what=f"the default ServiceAccount in {onboarded.namespace}",
        )
    return onboarded
