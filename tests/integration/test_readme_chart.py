"""The README's chart command, run as written against the control plane `kbp cluster up` starts:
the Gateway API CRDs and a Gateway matching the chart's default are there, so it installs."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from kbp import kube
from support.controlplane import ControlPlane
from support.onboarding import unique

pytestmark = pytest.mark.helm
REPO = Path(__file__).parents[2]


def readme_commands() -> list[str]:
    """Every `helm install … charts/journal …` command the README shows."""
    text = (REPO / "README.md").read_text()
    return sorted(set(re.findall(r"`(helm install journal charts/journal[^`]*)`", text)))


def test_the_readme_shows_the_chart_command() -> None:
    assert readme_commands() == ["helm install journal charts/journal -f charts/journal/values-dev.yaml"]


@pytest.mark.parametrize("command", readme_commands())
def test_the_readme_chart_command_installs_as_written(cluster: ControlPlane, command: str) -> None:
    namespace = unique("readme")
    cluster.run("kubectl", "create", "namespace", namespace)
    env = cluster.env()
    # As a user would run it: helm on PATH, the cluster's kubeconfig, a namespace of the test's own.
    env |= {"PATH": f"{cluster.bin_dir}{os.pathsep}{env['PATH']}", "HELM_NAMESPACE": namespace}
    try:
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        with cluster.client() as client:
            route = kube.get(client, "gateway.networking.k8s.io/v1", "HTTPRoute", "journal", namespace)
            [parent] = route["spec"]["parentRefs"]
            gateway = kube.get(
                client, "gateway.networking.k8s.io/v1", "Gateway", parent["name"], parent["namespace"]
            )
        listener = next(li for li in gateway["spec"]["listeners"] if li["name"] == parent["sectionName"])
        [host] = route["spec"]["hostnames"]
        assert host.endswith(listener["hostname"].removeprefix("*")), (host, listener["hostname"])
    finally:
        cluster.run("helm", "uninstall", "journal", "--namespace", namespace, check=False)
        cluster.run("kubectl", "delete", "namespace", namespace, "--wait=false", check=False)
