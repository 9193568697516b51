"""Cluster DNS on the real node as data: a CoreDNS Deployment the tenants' policies let DNS reach."""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

from kbp.cluster.node import config, dns, dnsquery
from kbp.namespaces import isolation

ROOT = Path(__file__).resolve().parents[3]


def _by_kind(kind: str) -> dict[str, Any]:
    (found,) = [o for o in dns.all_objects({"kbp.dev/real-node": "true"}) if o["kind"] == kind]
    return found


def test_the_pods_carry_the_labels_kbps_policies_let_dns_out_to() -> None:
    deployment = _by_kind("Deployment")
    template = deployment["spec"]["template"]
    assert deployment["metadata"]["namespace"] == isolation.DNS_NAMESPACE
    assert template["metadata"]["labels"] == isolation.DNS_POD_LABELS
    service = _by_kind("Service")
    assert service["spec"]["selector"] == isolation.DNS_POD_LABELS
    assert service["spec"]["clusterIP"] == config.CLUSTER_DNS
    # The policies allow port 53: the pod's port, after kube-proxy's DNAT.
    ports = {(p["containerPort"], p["protocol"]) for p in template["spec"]["containers"][0]["ports"]}
    assert ports == {(53, "UDP"), (53, "TCP")}


def test_coredns_runs_restricted_bound_to_upstreams_role() -> None:
    spec = _by_kind("Deployment")["spec"]["template"]["spec"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    sysctls = {s["name"]: s["value"] for s in spec["securityContext"]["sysctls"]}
    assert sysctls == {"net.ipv4.ip_unprivileged_port_start": "53"}
    container = spec["containers"][0]
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    binding = _by_kind("ClusterRoleBinding")
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": spec["serviceAccountName"], "namespace": "kube-system"}
    ]
    verbs = {verb for rule in _by_kind("ClusterRole")["rules"] for verb in rule["verbs"]}
    assert verbs == {"list", "watch"}


def test_the_corefile_serves_the_cluster_domain_in_cluster_with_the_probed_ports() -> None:
    corefile = dns.corefile()
    assert f"kubernetes {config.CLUSTER_DOMAIN} " in corefile
    assert "kubeconfig" not in corefile  # the ServiceAccount's token, in-cluster
    assert "forward" not in corefile  # no route out of the node's namespace
    container = _by_kind("Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert f"ready :{container['readinessProbe']['httpGet']['port']}" in corefile
    assert f"health :{container['livenessProbe']['httpGet']['port']}" in corefile


def test_the_image_is_tagged_with_the_coredns_version_testenv_builds() -> None:
    gomod = (ROOT / "testenv/node/go.mod").read_text()
    (version,) = re.findall(r"^require github\.com/coredns/coredns (v\S+)$", gomod, re.MULTILINE)
    assert version == dns.VERSION
    assert dns.IMAGE.endswith(f":{version}")


def _answer(ident: int, name: str, rcode: int, ips: list[bytes]) -> bytes:
    question = dnsquery.query(name, ident)[12:]
    header = struct.pack("!HHHHHH", ident, 0x8180 | rcode, 1, len(ips), 0, 0)
    records = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 5, 4) + ip for ip in ips)
    return header + question + records


def test_a_dns_answer_yields_its_addresses_and_nothing_else_does() -> None:
    name = "kubernetes.default.svc.cluster.local"
    assert dnsquery.addresses(_answer(7, name, 0, [bytes([10, 96, 0, 1])]), 7) == ["10.96.0.1"]
    assert dnsquery.addresses(_answer(7, name, 0, [bytes([10, 96, 0, 1])]), 8) == []  # another query's
    assert dnsquery.addresses(_answer(7, name, 3, []), 7) == []  # NXDOMAIN
    assert dnsquery.addresses(b"\0\7", 7) == []
