"""A tenant's pod on the real node: what Pod Security `restricted` admits really runs.

On kwok an admitted pod is only an object; here the kubelet starts it under the restricted
settings (non-root uid, every capability dropped, seccomp RuntimeDefault, no privilege
escalation), in the namespace `kbp user add` made, with the LimitRange's ephemeral-storage
defaults, and the developer reaches it with `kubectl exec` through their own kubeconfig.

This cluster's bridge enforces no NetworkPolicy; that tenants' packets are dropped is shown on the
cluster with an engine (test_tenant_isolation_on_node.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kbp import kube
from kbp.cluster.node.config import NODE_NAME
from kbp.users import quotas
from support.controlplane import ControlPlane
from support.onboarding import Onboarded, onboard, unique
from support.podsecurity import restricted
from support.realnode import PORT, load_nodetest, ready_pod, server_pod


@pytest.fixture(scope="module")
def tenant(real_cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Onboarded:
    load_nodetest(real_cluster, tmp_path_factory.mktemp("images"))
    return onboard(real_cluster, tmp_path_factory.mktemp("tenant"), unique("erin"))


def _restricted_server(name: str, namespace: str) -> dict[str, Any]:
    pod = server_pod(name, namespace, {"app": name})
    pod["spec"]["containers"][0]["securityContext"] = restricted(user=10001)
    return pod


def test_a_restricted_pod_runs_on_the_real_node_as_the_tenant(
    real_cluster: ControlPlane, tenant: Onboarded, tmp_path: Path
) -> None:
    with tenant.client() as user:
        kube.create(user, _restricted_server("web", tenant.namespace))
        pod = ready_pod(user, "web", tenant.namespace)
    assert pod["spec"]["nodeName"] == NODE_NAME
    resources = pod["spec"]["containers"][0]["resources"]
    small = quotas.profile("small")
    assert resources["limits"]["ephemeral-storage"] == small.default_ephemeral
    exec_ = real_cluster.run(
        "kubectl", "--kubeconfig", str(tenant.kubeconfig), "exec", "-n", tenant.namespace, "web", "--",
        "/nodetest", "get", f"http://127.0.0.1:{PORT}/healthz",
    )  # fmt: skip
    assert exec_.stdout == "ok\n"


def test_the_same_pod_as_root_never_reaches_the_node(tenant: Onboarded) -> None:
    pod = _restricted_server("root", tenant.namespace)
    security = pod["spec"]["containers"][0]["securityContext"]
    security["runAsUser"] = 0
    del security["runAsNonRoot"]
    with tenant.client() as user:
        with pytest.raises(kube.ForbiddenError, match='violates PodSecurity "restricted:v1'):
            kube.create(user, pod)
        assert kube.find(user, "v1", "Pod", "root", tenant.namespace) is None
