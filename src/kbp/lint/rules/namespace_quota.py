"""namespace-quota: a Namespace in the bundle comes with a ResourceQuota and a LimitRange."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import Manifest
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    if m.kind != "Namespace":
        return
    for kind, why in (
        ("ResourceQuota", "one team can exhaust the cluster"),
        ("LimitRange", "pods without requests get no defaults"),
    ):
        if not any(o.namespace == m.name for o in bundle.of_kind(kind)):
            yield Hit(f"namespace {m.name!r} has no {kind} in the bundle; {why}", ("metadata", "name"))


RULE = Rule(
    id="namespace-quota",
    summary="Namespaces ship with a ResourceQuota and a LimitRange",
    severity=Severity.WARNING,
    category="namespaces",
    check=check,
    kinds=frozenset({"Namespace"}),
)
