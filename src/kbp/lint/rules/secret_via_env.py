"""secret-via-env: Secrets passed through environment variables instead of a volume."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import WORKLOADS, Manifest, as_list, as_map, containers
from kbp.lint.rulebook import Hit, Options, Rule, Severity

WHY = "env leaks into child processes, crash dumps and `kubectl describe`; mount the Secret as a volume"


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    for c in containers(m):
        for index, env in enumerate(as_list(c.body.get("env"))):
            ref = as_map(as_map(as_map(env).get("valueFrom")).get("secretKeyRef"))
            if ref:
                name = as_map(env).get("name")
                yield Hit(
                    f"container {c.name!r}: env {name} reads Secret {ref.get('name')!r}; {WHY}",
                    (*c.path, "env", index, "valueFrom", "secretKeyRef"),
                )
        for index, source in enumerate(as_list(c.body.get("envFrom"))):
            ref = as_map(as_map(source).get("secretRef"))
            if ref:
                yield Hit(
                    f"container {c.name!r}: envFrom Secret {ref.get('name')!r}; {WHY}",
                    (*c.path, "envFrom", index, "secretRef"),
                )


RULE = Rule(
    id="secret-via-env",
    summary="Secrets reach containers as files, not environment variables",
    severity=Severity.WARNING,
    category="secrets",
    check=check,
    kinds=WORKLOADS,
)
