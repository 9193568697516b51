"""The index of every object linted together, for rules that look across objects."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kbp.lint.manifests import Manifest, as_list, as_map, label_map, template_metadata, template_path


@dataclass(frozen=True)
class Bundle:
    manifests: tuple[Manifest, ...]
    by_kind: Mapping[str, tuple[Manifest, ...]]

    def of_kind(self, *kinds: str) -> Iterator[Manifest]:
        for kind in kinds:
            yield from self.by_kind.get(kind, ())

    def find(self, kind: str, namespace: str | None, name: str) -> Manifest | None:
        for m in self.by_kind.get(kind, ()):
            if m.name == name and same_namespace(m.namespace, namespace):
                return m
        return None

    def pod_templates(self, namespace: str | None) -> Iterator[tuple[Manifest, dict[str, str]]]:
        """Every workload in the namespace with its pod labels."""
        for m in self.manifests:
            if template_path(m) is not None and same_namespace(m.namespace, namespace):
                yield m, label_map(template_metadata(m))


def index(manifests: Iterable[Manifest]) -> Bundle:
    items = tuple(manifests)
    groups: dict[str, list[Manifest]] = defaultdict(list)
    for m in items:
        groups[m.kind].append(m)
    return Bundle(items, {kind: tuple(ms) for kind, ms in groups.items()})


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
