"""Escape attempts, with the kubeconfig `kbp user add` wrote: each refused by admission, nothing made.

RBAC lets a developer create pods and Services in their namespace; Pod Security `restricted` and
the quota decide which. The pods here are one field away from a pod `restricted` admits.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kbp import kube
from kbp.namespaces import catalog, isolation
from kbp.namespaces.manifests import NamespaceSpec, namespace_manifest
from kbp.users import quotas
from support.controlplane import ControlPlane
from support.onboarding import Onboarded, onboard, unique

Change = Callable[[dict[str, Any]], None]


def _pod(namespace: str, name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": "registry.example/app:1.0",
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": 10001,
                        "allowPrivilegeEscalation": False,
                        "capabilities": {"drop": ["ALL"]},
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                }
            ]
        },
    }


def _container(pod: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = pod["spec"]["containers"][0]
    return container


def _privileged(pod: dict[str, Any]) -> None:
    # The API refuses privileged together with allowPrivilegeEscalation=false as invalid.
    del _container(pod)["securityContext"]["allowPrivilegeEscalation"]
    _container(pod)["securityContext"]["privileged"] = True


def _host_path(pod: dict[str, Any]) -> None:
    pod["spec"]["volumes"] = [{"name": "host", "hostPath": {"path": "/"}}]
    _container(pod)["volumeMounts"] = [{"name": "host", "mountPath": "/host"}]


def _set(**fields: Any) -> Change:
    return lambda pod: pod["spec"].update(fields)


def _security(**fields: Any) -> Change:
    return lambda pod: _container(pod)["securityContext"].update(fields)


def _capability(name: str) -> Change:
    return _security(capabilities={"drop": ["ALL"], "add": [name]})


def _host_port(pod: dict[str, Any]) -> None:
    _container(pod)["ports"] = [{"containerPort": 8080, "hostPort": 8080}]


def _root(pod: dict[str, Any]) -> None:
    security = _container(pod)["securityContext"]
    del security["runAsNonRoot"]
    security["runAsUser"] = 0


ESCAPES = [
    pytest.param(_privileged, "securityContext.privileged=true", id="privileged"),
    pytest.param(_host_path, 'uses restricted volume type "hostPath"', id="hostPath"),
    pytest.param(_set(hostNetwork=True), "hostNetwork=true", id="hostNetwork"),
    pytest.param(_set(hostPID=True), "hostPID=true", id="hostPID"),
    pytest.param(_set(hostIPC=True), "hostIPC=true", id="hostIPC"),
    pytest.param(_host_port, "hostPort 8080", id="hostPort"),
    pytest.param(_capability("SYS_ADMIN"), '"SYS_ADMIN"', id="cap-SYS_ADMIN"),
    pytest.param(_capability("NET_ADMIN"), '"NET_ADMIN"', id="cap-NET_ADMIN"),
    pytest.param(_root, "runAsUser=0", id="root"),
    pytest.param(
        _security(allowPrivilegeEscalation=True), "allowPrivilegeEscalation", id="privilege-escalation"
    ),
    pytest.param(
        _security(seccompProfile={"type": "Unconfined"}),
        'seccompProfile.type to "Unconfined"',
        id="seccomp-unconfined",
    ),
]


def test_a_pod_restricted_admits_is_created(alice: Onboarded) -> None:
    with alice.client() as user:
        created = kube.create(user, _pod(alice.namespace, "harmless"))
        assert created["metadata"]["name"] == "harmless"
        kube.delete(user, "v1", "Pod", "harmless", alice.namespace)


@pytest.mark.parametrize(("change", "violation"), ESCAPES)
def test_an_escaping_pod_is_refused_by_pod_security(alice: Onboarded, change: Change, violation: str) -> None:
    pod = copy.deepcopy(_pod(alice.namespace, "escape"))
    change(pod)
    with alice.client() as user:
        with pytest.raises(kube.ForbiddenError) as refused:
            kube.create(user, pod)
        assert kube.find(user, "v1", "Pod", "escape", alice.namespace) is None
    message = str(refused.value)
    assert 'violates PodSecurity "restricted:v1.' in message, message
    assert violation in message, message


def _service(namespace: str, name: str, kind: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"type": kind, "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }


@pytest.mark.parametrize(
    ("kind", "resource"),
    [("NodePort", "services.nodeports"), ("LoadBalancer", "services.loadbalancers")],
)
def test_a_service_that_opens_the_nodes_is_refused_by_the_quota(
    alice: Onboarded, kind: str, resource: str
) -> None:
    name = kind.lower()
    with alice.client() as user:
        with pytest.raises(kube.ForbiddenError) as refused:
            kube.create(user, _service(alice.namespace, name, kind))
        assert kube.find(user, "v1", "Service", name, alice.namespace) is None
        kube.create(user, _service(alice.namespace, "inside", "ClusterIP"))  # the way that stays inside
        kube.delete(user, "v1", "Service", "inside", alice.namespace)
    message = str(refused.value)
    assert f"exceeded quota: {quotas.QUOTA_NAME}" in message, message
    assert f"{resource}=0" in message, message


PSA_CHANGES = [
    pytest.param({"pod-security.kubernetes.io/enforce": None}, id="remove-enforce"),
    pytest.param({"pod-security.kubernetes.io/enforce": "privileged"}, id="enforce-privileged"),
    pytest.param({"pod-security.kubernetes.io/warn": "baseline"}, id="warn-baseline"),
    pytest.param({"pod-security.kubernetes.io/enforce-version": "v1.0"}, id="older-version"),
]


@pytest.mark.parametrize("labels", PSA_CHANGES)
def test_the_user_cannot_change_their_namespaces_pod_security(
    alice: Onboarded, api: kube.KubeClient, labels: dict[str, str | None]
) -> None:
    before = kube.get(api, "v1", "Namespace", alice.namespace)["metadata"]["labels"]
    with alice.client() as user, pytest.raises(kube.ForbiddenError) as refused:
        kube.patch(user, "v1", "Namespace", alice.namespace, {"metadata": {"labels": labels}})
    assert f'User "{alice.name}" cannot patch resource "namespaces"' in str(refused.value)
    assert kube.get(api, "v1", "Namespace", alice.namespace)["metadata"]["labels"] == before


def test_the_namespace_is_restricted_pinned_to_the_cluster_and_isolated(
    alice: Onboarded, api: kube.KubeClient
) -> None:
    labels = kube.get(api, "v1", "Namespace", alice.namespace)["metadata"]["labels"]
    major, minor = kube.server_version(api)
    assert {k: v for k, v in labels.items() if k.startswith(isolation.PSA_PREFIX)} == (
        isolation.pod_security_labels(isolation.Level.restricted, f"v{major}.{minor}")
    )
    policies = kube.list_objects(api, "networking.k8s.io/v1", "NetworkPolicy", alice.namespace)
    assert sorted(p["metadata"]["name"] for p in policies) == [isolation.ALLOW_NAME, isolation.DENY_NAME]
    hard = kube.get(api, "v1", "ResourceQuota", quotas.QUOTA_NAME, alice.namespace)["spec"]["hard"]
    small = quotas.profile("small")
    assert hard["secrets"] == str(small.secrets)
    assert hard["limits.ephemeral-storage"] == small.ephemeral_limits


@pytest.mark.parametrize(("before", "after"), [(None, "restricted"), ("baseline", "baseline")])
def test_adopting_a_namespace_adds_restricted_only_where_no_level_is_set(
    cluster: ControlPlane,
    api: kube.KubeClient,
    tmp_path: Path,
    before: str | None,
    after: str,
) -> None:
    """A kbp namespace from before Pod Security labels is locked down when its owner is onboarded;
    one the platform exempted keeps its level."""
    name = unique("ivy")
    spec = NamespaceSpec(name=f"dev-{name}", owner=name, team="payments", purpose="older", ttl="1d")
    manifest = namespace_manifest(spec, version=catalog.pod_security_version(api))
    labels = manifest["metadata"]["labels"]
    for key in [k for k in labels if k.startswith(isolation.PSA_PREFIX)]:
        del labels[key]
    if before is not None:
        labels |= isolation.pod_security_labels(isolation.Level(before), catalog.pod_security_version(api))
    kube.create(api, manifest)
    try:
        onboard(cluster, tmp_path, name)
        stored = kube.get(api, "v1", "Namespace", spec.name)["metadata"]["labels"]
        assert {stored[f"{isolation.PSA_PREFIX}/{m}"] for m in isolation.MODES} == {after}
        assert stored[f"{isolation.PSA_PREFIX}/enforce-version"] == catalog.pod_security_version(api)
    finally:
        kube.delete(api, "v1", "Namespace", spec.name)
