"""bare-pod: a Pod with no controller; nothing recreates it when its node goes away."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import Manifest
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def is_helm_hook(m: Manifest) -> bool:
    """Helm creates, awaits and deletes hook Pods itself (`helm test`): they have a controller."""
    annotations = m.metadata.get("annotations")
    return isinstance(annotations, dict) and "helm.sh/hook" in annotations


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    if m.kind == "Pod" and not m.metadata.get("ownerReferences") and not is_helm_hook(m):
        yield Hit("bare Pod: run it from a Deployment (or a Job for run-to-completion work)", ("kind",))


RULE = Rule(
    id="bare-pod",
    summary="Pods are created by a controller, not directly",
    severity=Severity.WARNING,
    category="workloads",
    check=check,
    kinds=frozenset({"Pod"}),
)
