"""The Pod Security labels and NetworkPolicies every kbp namespace gets, as data."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kbp import metadata
from kbp.cluster import gateway
from kbp.namespaces import isolation
from kbp.namespaces.isolation import Level
from kbp.namespaces.manifests import NamespaceSpec, namespace_manifest

HELMFILE = Path(__file__).parents[3] / "deploy" / "cluster-services" / "helmfile.yaml"
SPEC = NamespaceSpec(name="team-a", owner="alice", team="a", purpose="demo", ttl="7d")


def test_every_mode_is_restricted_and_pinned_to_the_cluster_minor() -> None:
    labels = isolation.pod_security_labels(Level.restricted, isolation.minor_version(1, 37))
    assert labels == {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "v1.37",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "v1.37",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "v1.37",
    }


def test_namespace_manifest_carries_the_level_it_is_given() -> None:
    labels = namespace_manifest(SPEC, version="v1.36")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels[metadata.MANAGED_BY] == metadata.MANAGED_BY_KBP
    exempt = NamespaceSpec(name="legacy", owner="ops", team="ops", purpose="x", pod_security=Level.baseline)
    labels = namespace_manifest(exempt, version="v1.36")["metadata"]["labels"]
    assert {labels[f"pod-security.kubernetes.io/{m}"] for m in isolation.MODES} == {"baseline"}


@pytest.mark.parametrize("version", ["latest", "1.37", "v2.1", "v1.", "v1.037", ""])
def test_a_version_that_is_not_v1_minor_is_refused(version: str) -> None:
    with pytest.raises(ValueError, match=r"v1\.<minor>"):
        isolation.pod_security_labels(Level.restricted, version)


def test_minor_version_refuses_another_major() -> None:
    with pytest.raises(ValueError, match=r"not a Kubernetes 1\.x version"):
        isolation.minor_version(2, 0)


def test_has_pod_security_reads_the_enforce_label() -> None:
    assert not isolation.has_pod_security({"metadata": {"name": "x"}})
    assert isolation.has_pod_security(namespace_manifest(SPEC, version="v1.37"))


def test_default_deny_selects_every_pod_both_ways_and_allows_nothing() -> None:
    deny, _ = isolation.network_policies("team-a", labels={"x": "y"})
    assert deny["metadata"] == {
        "name": "kbp-default-deny",
        "namespace": "team-a",
        "labels": {metadata.MANAGED_BY: metadata.MANAGED_BY_KBP, "x": "y"},
    }
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_allowances_are_the_namespace_itself_the_gateway_and_dns() -> None:
    _, allow = isolation.network_policies("team-a", labels={}, gateway_namespace="edge")
    spec = allow["spec"]
    assert spec["podSelector"] == {}
    assert spec["ingress"] == [
        {
            "from": [
                {"podSelector": {}},
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "edge"}}},
            ]
        }
    ]
    same, dns = spec["egress"]
    assert same == {"to": [{"podSelector": {}}]}
    assert dns["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    assert dns["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def test_the_default_gateway_namespace_is_where_cluster_services_runs_the_gateway() -> None:
    documents = list(yaml.safe_load_all(HELMFILE.read_text()))
    releases = {r["name"]: r for d in documents if d for r in d.get("releases", [])}
    assert releases["edge"]["namespace"] == gateway.NAMESPACE
    _, allow = isolation.network_policies("team-a", labels={})
    (rule,) = allow["spec"]["ingress"]
    assert rule["from"][1]["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": gateway.NAMESPACE
    }
