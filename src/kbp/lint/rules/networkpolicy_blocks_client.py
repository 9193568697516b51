"""networkpolicy-blocks-client: the NetworkPolicies of the set let the platform's known clients
(the gateway's proxies, Prometheus, `helm test` Pods) reach the pods they must reach, and a peer
namespace they name is one a release of the set uses."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kbp.lint.bundle import selector_matches
from kbp.lint.clients import Client, Port, Target, known_clients
from kbp.lint.manifests import Manifest, Path, as_list, as_map, label_map, template_metadata
from kbp.lint.platforms import Platform
from kbp.lint.rulebook import Options, Rule, SetHit, Severity

NAME_LABEL = "kubernetes.io/metadata.name"  # every namespace carries its own name as this label


def _namespace_labels(platform: Platform, namespace: str) -> tuple[dict[str, str], bool]:
    """The labels of a namespace, and whether they are all known (its Namespace is in the set)."""
    obj = platform.bundle.find("Namespace", None, namespace)
    labels = {NAME_LABEL: namespace, **(label_map(obj.metadata) if obj else {})}
    return labels, obj is not None


def _keys(selector: Mapping[str, Any]) -> set[str]:
    keys = {str(k) for k in as_map(selector.get("matchLabels"))}
    return keys | {str(as_map(e).get("key")) for e in as_list(selector.get("matchExpressions"))}


def _admits(peer: Mapping[str, Any], policy: Manifest, client: Client, platform: Platform) -> bool:
    if "ipBlock" in peer:
        return True  # addresses are not known here
    if "namespaceSelector" in peer:
        selector = as_map(peer["namespaceSelector"])
        labels, complete = _namespace_labels(platform, client.namespace)
        unknown = not complete and not _keys(selector) <= {NAME_LABEL}
        if not (unknown or selector_matches(selector, labels)):
            return False
    elif client.namespace != policy.namespace:
        return False
    if "podSelector" in peer and client.pod_labels is not None:
        return selector_matches(as_map(peer["podSelector"]), client.pod_labels)
    return True


def _port_allowed(entry: Mapping[str, Any], port: Port) -> bool:
    wanted = entry.get("port")
    if wanted is None or (port.number is None and port.name is None):
        return True
    end = entry.get("endPort")
    if isinstance(wanted, int) and isinstance(end, int) and port.number is not None:
        return wanted <= port.number <= end
    return wanted in (port.number, port.name)


def _selects(policy: Manifest, target: Target) -> bool:
    types = policy.get(("spec", "policyTypes"))
    if isinstance(types, list) and "Ingress" not in types:
        return False
    labels = label_map(template_metadata(target.workload))
    return selector_matches(as_map(policy.get(("spec", "podSelector"))), labels)


def _policy_admits(policy: Manifest, client: Client, target: Target, platform: Platform) -> bool:
    for raw in as_list(policy.get(("spec", "ingress"))):
        rule = as_map(raw)
        peers = as_list(rule.get("from"))
        ports = as_list(rule.get("ports"))
        if (not peers or any(_admits(as_map(p), policy, client, platform) for p in peers)) and (
            not ports or any(_port_allowed(as_map(p), target.port) for p in ports)
        ):
            return True
    return False


def _unused_peer(policy: Manifest, platform: Platform) -> tuple[Path, str] | None:
    """A namespaceSelector naming a namespace no release or object of the set uses."""
    for i, raw in enumerate(as_list(policy.get(("spec", "ingress")))):
        for j, peer in enumerate(as_list(as_map(raw).get("from"))):
            selector = as_map(as_map(peer).get("namespaceSelector"))
            name = as_map(selector.get("matchLabels")).get(NAME_LABEL)
            if isinstance(name, str) and name not in platform.namespaces:
                path = ("spec", "ingress", i, "from", j, "namespaceSelector", "matchLabels", NAME_LABEL)
                return path, name
    return None


def _blocked(platform: Platform) -> Iterator[tuple[Manifest, Client, Target]]:
    seen: set[tuple[int, str, str]] = set()
    for client in known_clients(platform):
        for target in client.targets:
            policies = [
                p
                for p in platform.bundle.in_namespace("NetworkPolicy", target.workload.namespace)
                if _selects(p, target)
            ]
            if not policies or any(_policy_admits(p, client, target, platform) for p in policies):
                continue
            policy = next((p for p in policies if _unused_peer(p, platform)), policies[0])
            key = (id(policy), client.kind, client.namespace)
            if key not in seen:
                seen.add(key)
                yield policy, client, target


def check(platform: Platform, options: Options) -> Iterator[SetHit]:
    for policy, client, target in _blocked(platform):
        reach = (
            f"{client.kind} (namespace {client.namespace}), which must reach Service {target.service.name}"
        )
        unused = _unused_peer(policy, platform)
        if unused is not None:
            path, name = unused
            message = (
                f"NetworkPolicy {policy.name} admits namespace {name!r}, which no release of the set "
                f"uses, and none of its ingress rules admits {reach}"
            )
        else:
            path = ("spec", "ingress") if policy.get(("spec", "ingress")) else ("spec", "podSelector")
            message = f"NetworkPolicy {policy.name}: none of its ingress rules admits {reach}"
        yield SetHit(message, policy, path, (client.where, target.reason))


RULE = Rule(
    id="networkpolicy-blocks-client",
    summary="NetworkPolicies admit the gateway, monitoring and helm test where they run",
    severity=Severity.ERROR,
    category="platform",
    check_set=check,
)
