"""NetworkPolicy holds on the real node (kube-router's firewall, tests only; see support/netpol.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kbp import kube
from support.controlplane import ControlPlane
from support.realnode import PORT, load_nodetest, namespace, ready_pod, server_pod

POLICY_TIMEOUT = 30.0


@pytest.fixture
def ns(netpol_cluster: ControlPlane, tmp_path: Path) -> Iterator[str]:
    load_nodetest(netpol_cluster, tmp_path)
    with netpol_cluster.client() as client, namespace(client) as name:
        yield name


def _reaches(plane: ControlPlane, ns: str, pod: str, ip: str) -> bool:
    argv = ("exec", "-n", ns, pod, "--", "/nodetest", "get", f"http://{ip}:{PORT}/")
    return plane.run("kubectl", *argv, check=False).returncode == 0


def test_only_an_allowed_peer_reaches_a_selected_pod(netpol_cluster: ControlPlane, ns: str) -> None:
    with netpol_cluster.client() as client:
        for name in ("server", "allowed", "other"):
            kube.apply(client, server_pod(name, ns, {"app": name}))
        ip = ready_pod(client, "server", ns)["status"]["podIP"]
        ready_pod(client, "allowed", ns)
        ready_pod(client, "other", ns)
        assert _reaches(netpol_cluster, ns, "other", ip)  # no policy selects the server yet
        policy = {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "server-from-allowed", "namespace": ns},
            "spec": {
                "podSelector": {"matchLabels": {"app": "server"}},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [{"podSelector": {"matchLabels": {"app": "allowed"}}}],
                        "ports": [{"port": PORT}],
                    }
                ],
            },
        }
        kube.apply(client, policy)
        kube.wait_for(
            lambda: not _reaches(netpol_cluster, ns, "other", ip) or None,
            timeout=POLICY_TIMEOUT,
            what="the policy",
        )
        assert _reaches(netpol_cluster, ns, "allowed", ip)
        # The kubelet's probes come from the node, which policies do not cut off.
        assert kube.condition(kube.get(client, "v1", "Pod", "server", ns), "Ready") == "True"
