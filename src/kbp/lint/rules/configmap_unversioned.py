"""configmap-unversioned: a workload uses a ConfigMap whose changes would not roll its pods."""

from __future__ import annotations

import re
from collections.abc import Iterator

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import (
    WORKLOADS,
    Manifest,
    Path,
    annotation_map,
    as_list,
    as_map,
    containers,
    pod_spec,
    pod_spec_path,
    template_metadata,
)
from kbp.lint.rulebook import Hit, Options, Rule, Severity

# -v2, -v1.3 (hand-versioned), a kustomize hash suffix, or a hex content hash.
VERSIONED = re.compile(r"(?:-v\d+(?:[.-]\d+)*|-[bcdfghjklmnpqrstvwxz2456789]{10}|-[0-9a-f]{8,64})$")


def references(m: Manifest) -> Iterator[tuple[str, Path]]:
    """Each ConfigMap name the pod template uses, with where."""
    spec_path = pod_spec_path(m) or ()
    for index, raw in enumerate(as_list(pod_spec(m).get("volumes"))):
        volume = as_map(raw)
        if name := as_map(volume.get("configMap")).get("name"):
            yield str(name), (*spec_path, "volumes", index, "configMap", "name")
        for s_index, src in enumerate(as_list(as_map(volume.get("projected")).get("sources"))):
            if name := as_map(as_map(src).get("configMap")).get("name"):
                yield (
                    str(name),
                    (*spec_path, "volumes", index, "projected", "sources", s_index, "configMap", "name"),
                )
    for c in containers(m):
        for index, src in enumerate(as_list(c.body.get("envFrom"))):
            if name := as_map(as_map(src).get("configMapRef")).get("name"):
                yield str(name), (*c.path, "envFrom", index, "configMapRef", "name")
        for index, env in enumerate(as_list(c.body.get("env"))):
            ref = as_map(as_map(as_map(env).get("valueFrom")).get("configMapKeyRef"))
            if name := ref.get("name"):
                yield str(name), (*c.path, "env", index, "valueFrom", "configMapKeyRef", "name")


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    if pod_spec_path(m) is None or m.kind == "Pod":
        return
    if any(key.startswith("checksum/") for key in annotation_map(template_metadata(m))):
        return  # Helm style: the pod template changes whenever the config does
    seen: set[str] = set()
    for name, path in references(m):
        if name in seen or VERSIONED.search(name):
            continue
        seen.add(name)
        yield Hit(
            f"ConfigMap {name!r} has no version in its name and the pod template no checksum/ annotation; "
            "a config change will not roll the pods (name it e.g. "
            f"{name}-v1, or annotate checksum/config)",
            path,
        )


RULE = Rule(
    id="configmap-unversioned",
    summary="Config changes roll out: versioned ConfigMap names or a checksum annotation",
    severity=Severity.WARNING,
    category="config",
    check=check,
    kinds=WORKLOADS,
)
