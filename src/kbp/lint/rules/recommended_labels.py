"""recommended-labels: app.kubernetes.io/* labels present and consistent with the pod template."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import Manifest, label_map, template_metadata, template_path
from kbp.lint.rulebook import Hit, Options, Rule, Severity

LABELLED_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "Service", "Ingress", "ConfigMap"}
)


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    if m.kind not in LABELLED_KINDS:
        return
    own = label_map(m.metadata)
    missing = [k for k in options.required_labels if k not in own]
    if missing:
        yield Hit(f"missing labels {', '.join(missing)}", ("metadata", "labels") if own else ("metadata",))
    base = template_path(m)
    if not base:  # Pods and non-workloads have no separate template
        return
    pod = label_map(template_metadata(m))
    pod_missing = [k for k in options.required_labels if k not in pod]
    if pod_missing:
        yield Hit(f"pod template is missing labels {', '.join(pod_missing)}", (*base, "metadata"))
    for key in options.required_labels:
        if key in own and key in pod and own[key] != pod[key]:
            yield Hit(
                f"label {key} is {own[key]!r} on the {m.kind} but {pod[key]!r} on its pods",
                (*base, "metadata", "labels", key),
            )


RULE = Rule(
    id="recommended-labels",
    summary="Objects carry the app.kubernetes.io labels, the same on workload and pods",
    severity=Severity.WARNING,
    category="labels",
    check=check,
    kinds=LABELLED_KINDS,
)
