"""selector-mismatch: a controller's selector must select its own pod template."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle, selector_matches
from kbp.lint.manifests import Manifest, as_map, label_map, template_metadata, template_path
from kbp.lint.rulebook import Hit, Options, Rule, Severity

SELECTED_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    if m.kind not in SELECTED_KINDS:
        return
    selector = m.get(("spec", "selector"))
    if not isinstance(selector, dict) or not (
        selector.get("matchLabels") or selector.get("matchExpressions")
    ):
        yield Hit(f"{m.kind} has no spec.selector; apps/v1 requires one", ("spec",))
        return
    pod_labels = label_map(template_metadata(m))
    if not selector_matches(selector, pod_labels):
        base = template_path(m) or ()
        wanted = dict(as_map(selector.get("matchLabels")))
        yield Hit(
            f"spec.selector {wanted or selector} does not match the pod template labels {pod_labels}",
            (*base, "metadata", "labels") if pod_labels else ("spec", "selector"),
        )


RULE = Rule(
    id="selector-mismatch",
    summary="Controller selectors match their pod template labels",
    severity=Severity.ERROR,
    category="labels",
    check=check,
    kinds=frozenset(SELECTED_KINDS),
)
