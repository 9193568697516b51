"""networkpolicy-blocks-client: the NetworkPolicies of the set let the platform's known clients
(the gateway's proxies, Prometheus, `helm test` Pods) reach the pods they must reach: the target's
ingress policies admit them, and, for a client of the set itself (a `helm test` Pod), its own
egress policies let it out. A peer namespace no release uses is named in the finding."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kbp.lint.bundle import selector_matches
from kbp.lint.clients import Client, Port, Target, known_clients
from kbp.lint.manifests import Manifest, Path, as_list, as_map, label_map, template_metadata
from kbp.lint.platforms import Platform
from kbp.lint.rulebook import Options, Rule, SetHit, Severity
from kbp.lint.rules.missing_egress_policy import governs_egress

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


def _reaches(peer: Mapping[str, Any], policy: Manifest, target: Target, platform: Platform) -> bool:
    """An egress peer (`to`) that lets the client reach the target's pods."""
    if "ipBlock" in peer:
        return True
    namespace = target.workload.namespace or ""
    if "namespaceSelector" in peer:
        selector = as_map(peer["namespaceSelector"])
        labels, complete = _namespace_labels(platform, namespace)
        if (complete or _keys(selector) <= {NAME_LABEL}) and not selector_matches(selector, labels):
            return False
    elif namespace != policy.namespace:
        return False
    pods = label_map(template_metadata(target.workload))
    return "podSelector" not in peer or selector_matches(as_map(peer["podSelector"]), pods)


def _egress_admits(policy: Manifest, target: Target, platform: Platform) -> bool:
    for raw in as_list(policy.get(("spec", "egress"))):
        rule = as_map(raw)
        peers, ports = as_list(rule.get("to")), as_list(rule.get("ports"))
        if (not peers or any(_reaches(as_map(p), policy, target, platform) for p in peers)) and (
            not ports or any(_port_allowed(as_map(p), target.port) for p in ports)
        ):
            return True
    return False


def _blocked(platform: Platform) -> Iterator[tuple[Manifest, Client, Target, str]]:
    """(policy, client, target, "ingress" | "egress") for each policy that stops a known client."""
    seen: set[tuple[int, str, str]] = set()
    for client in known_clients(platform):
        for target in client.targets:
            found: tuple[Manifest, str] | None = None
            policies = [
                p
                for p in platform.bundle.in_namespace("NetworkPolicy", target.workload.namespace)
                if _selects(p, target)
            ]
            if policies and not any(_policy_admits(p, client, target, platform) for p in policies):
                found = next((p for p in policies if _unused_peer(p, platform)), policies[0]), "ingress"
            elif client.pod_labels is not None:  # a client of this set: its own egress may stop it
                labels = client.pod_labels
                outbound = [
                    p
                    for p in platform.bundle.in_namespace("NetworkPolicy", client.namespace)
                    if governs_egress(p) and selector_matches(as_map(p.get(("spec", "podSelector"))), labels)
                ]
                if outbound and not any(_egress_admits(p, target, platform) for p in outbound):
                    found = outbound[0], "egress"
            if found is not None and (id(found[0]), client.kind, found[1]) not in seen:
                seen.add((id(found[0]), client.kind, found[1]))
                yield found[0], client, target, found[1]


def check(platform: Platform, options: Options) -> Iterator[SetHit]:
    for policy, client, target, direction in _blocked(platform):
        reach = (
            f"{client.kind} (namespace {client.namespace}), which must reach Service {target.service.name}"
        )
        unused = _unused_peer(policy, platform) if direction == "ingress" else None
        if unused is not None:
            path, name = unused
            message = (
                f"NetworkPolicy {policy.name} admits namespace {name!r}, which no release of the set "
                f"uses, and none of its ingress rules admits {reach}"
            )
        elif direction == "ingress":
            path = ("spec", "ingress") if policy.get(("spec", "ingress")) else ("spec", "podSelector")
            message = f"NetworkPolicy {policy.name}: none of its ingress rules admits {reach}"
        else:
            path = ("spec", "egress") if policy.get(("spec", "egress")) else ("spec", "podSelector")
            message = f"NetworkPolicy {policy.name}: none of its egress rules lets out {reach}"
        yield SetHit(message, policy, path, (client.where, target.reason))


RULE = Rule(
    id="networkpolicy-blocks-client",
    summary="NetworkPolicies admit the gateway, monitoring and helm test where they run",
    severity=Severity.ERROR,
    category="platform",
    check_set=check,
)
