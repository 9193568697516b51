"""The index of every object linted together, for rules that look across objects."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kbp.lint.manifests import Manifest, as_list, as_map, label_map, template_metadata, template_path


@dataclass(frozen=True)
class Bundle:
    """Objects grouped the ways cross-object rules look them up, built once per run."""

    manifests: tuple[Manifest, ...]
    by_kind: Mapping[str, tuple[Manifest, ...]]
    by_name: Mapping[tuple[str, str], tuple[Manifest, ...]]
    by_kind_namespace: Mapping[tuple[str, str | None], tuple[Manifest, ...]]
    workloads: Mapping[str | None, tuple[tuple[Manifest, Mapping[str, str]], ...]]  # pod labels by namespace
    scalers: Mapping[tuple[str, str], tuple[Manifest, ...]]  # HPAs by target (kind, name)

    def of_kind(self, *kinds: str) -> Iterator[Manifest]:
        for kind in kinds:
            yield from self.by_kind.get(kind, ())

    def in_namespace(self, kind: str, namespace: str | None) -> Iterator[Manifest]:
        """Objects of ``kind`` that may share ``namespace`` (see same_namespace)."""
        if namespace is None:
            yield from self.by_kind.get(kind, ())
            return
        yield from self.by_kind_namespace.get((kind, namespace), ())
        yield from self.by_kind_namespace.get((kind, None), ())

    def find(self, kind: str, namespace: str | None, name: str) -> Manifest | None:
        for m in self.by_name.get((kind, name), ()):
            if same_namespace(m.namespace, namespace):
                return m
        return None

    def pod_templates(self, namespace: str | None) -> Iterator[tuple[Manifest, Mapping[str, str]]]:
        """Every workload in the namespace with its pod labels."""
        if namespace is None:
            for group in self.workloads.values():
                yield from group
            return
        yield from self.workloads.get(namespace, ())
        yield from self.workloads.get(None, ())


def index(manifests: Iterable[Manifest]) -> Bundle:
    items = tuple(manifests)
    kinds: dict[str, list[Manifest]] = defaultdict(list)
    names: dict[tuple[str, str], list[Manifest]] = defaultdict(list)
    spaces: dict[tuple[str, str | None], list[Manifest]] = defaultdict(list)
    for m in items:
        kinds[m.kind].append(m)
        names[(m.kind, m.name)].append(m)
        spaces[(m.kind, m.namespace)].append(m)
    workloads: dict[str | None, list[tuple[Manifest, Mapping[str, str]]]] = defaultdict(list)
    for m in items:
        if template_path(m) is not None:
            workloads[m.namespace].append((m, label_map(template_metadata(m))))
    scalers: dict[tuple[str, str], list[Manifest]] = defaultdict(list)
    for hpa in kinds.get("HorizontalPodAutoscaler", ()):
        target = as_map(hpa.get(("spec", "scaleTargetRef")))
        scalers[(str(target.get("kind", "")), str(target.get("name", "")))].append(hpa)
    return Bundle(
        items,
        {kind: tuple(ms) for kind, ms in kinds.items()},
        {key: tuple(ms) for key, ms in names.items()},
        {key: tuple(ms) for key, ms in spaces.items()},
        {ns: tuple(ws) for ns, ws in workloads.items()},
        {key: tuple(ms) for key, ms in scalers.items()},
    )


def controller_labels(workload: Manifest, template: Mapping[str, str]) -> Iterator[Mapping[str, str]]:
    """The label sets the workload's pods carry: a StatefulSet's controller adds each pod's name and
    ordinal, which a Service may select on (`statefulset.kubernetes.io/pod-name: db-0`)."""
    if workload.kind != "StatefulSet":
        yield template
        return
    replicas = workload.get(("spec", "replicas"))
    for ordinal in range(replicas if isinstance(replicas, int) and replicas >= 0 else 1):
        yield {
            **template,
            "statefulset.kubernetes.io/pod-name": f"{workload.name}-{ordinal}",
            "apps.kubernetes.io/pod-index": str(ordinal),
        }


def same_namespace(a: str | None, b: str | None) -> bool:
    """An object without a namespace lands wherever it is applied, so it matches any."""
    return a is None or b is None or a == b


def selector_matches(selector: Mapping[str, Any], pod_labels: Mapping[str, str]) -> bool:
    """A LabelSelector (matchLabels + matchExpressions) against a label set."""
    for key, value in as_map(selector.get("matchLabels")).items():
        if pod_labels.get(str(key)) != str(value):
            return False
    for raw in as_list(selector.get("matchExpressions")):
        expr = as_map(raw)
        key, op = str(expr.get("key", "")), expr.get("operator")
        values = {str(v) for v in as_list(expr.get("values"))}
        present = key in pod_labels
        if op == "In" and not (present and pod_labels[key] in values):
            return False
        if op == "NotIn" and present and pod_labels[key] in values:
            return False
        if (op == "Exists" and not present) or (op == "DoesNotExist" and present):
            return False
    return True


def service_selects(selector: Mapping[str, Any], pod_labels: Mapping[str, str]) -> bool:
    """A Service selector: a plain map, all pairs must be present."""
    return all(pod_labels.get(str(k)) == str(v) for k, v in selector.items())
