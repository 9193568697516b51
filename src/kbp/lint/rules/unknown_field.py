"""unknown-field: a field the API does not know (a typo such as resources.request) is dropped silently."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from kbp.lint import fields
from kbp.lint.bundle import Bundle
from kbp.lint.manifests import (
    Manifest,
    Path,
    as_list,
    as_map,
    containers,
    pod_spec,
    pod_spec_path,
    template_path,
)
from kbp.lint.rulebook import Hit, Options, Rule, Severity

# Lists inside a container whose items we check, with the item's known fields.
LISTS = (
    ("volumeMounts", fields.VOLUME_MOUNT, "volumeMount"),
    ("ports", fields.CONTAINER_PORT, "container port"),
    ("env", fields.ENV_VAR, "env var"),
)


def _unknown(body: Mapping[str, Any], known: frozenset[str], path: Path, what: str) -> Iterator[Hit]:
    for key in body:
        if key in known:
            continue
        hint = fields.MISPLACED.get((what, str(key)))
        if hint is None:
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.75)
            hint = f"did you mean {close[0]!r}?" if close else "the API server drops it"
        yield Hit(f"unknown {what} field {key!r}: {hint}", (*path, key))


def _container_hits(m: Manifest) -> Iterator[Hit]:
    for c in containers(m):
        yield from _unknown(c.body, fields.CONTAINER, c.path, "container")
        resources = c.body.get("resources")
        if isinstance(resources, Mapping):
            yield from _unknown(resources, fields.RESOURCES, (*c.path, "resources"), "resources")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            if isinstance(c.body.get(probe), Mapping):
                yield from _unknown(c.body[probe], fields.PROBE, (*c.path, probe), "probe")
        for list_name, known, what in LISTS:
            for index, item in enumerate(as_list(c.body.get(list_name))):
                yield from _unknown(as_map(item), known, (*c.path, list_name, index), what)


def _spec_hits(m: Manifest) -> Iterator[Hit]:
    known = fields.SPECS.get(m.kind)
    spec = m.body.get("spec")
    if known is None or not isinstance(spec, Mapping):
        return
    yield from _unknown(spec, known, ("spec",), f"{m.kind} spec")
    if m.kind == "Service":
        for index, port in enumerate(as_list(spec.get("ports"))):
            yield from _unknown(as_map(port), fields.SERVICE_PORT, ("spec", "ports", index), "Service port")


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    yield from _unknown(m.metadata, fields.METADATA, ("metadata",), "metadata")
    yield from _spec_hits(m)
    spec_path = pod_spec_path(m)
    if spec_path is None:
        return
    base = template_path(m) or ()
    if base:
        yield from _unknown(
            as_map(m.get((*base, "metadata"))), fields.METADATA, (*base, "metadata"), "metadata"
        )
    spec = pod_spec(m)
    yield from _unknown(spec, fields.POD_SPEC, spec_path, "pod spec")
    yield from _container_hits(m)
    for index, raw in enumerate(as_list(spec.get("volumes"))):
        volume = as_map(raw)
        path = (*spec_path, "volumes", index)
        yield from _unknown(volume, fields.VOLUME, path, "volume")
        if isinstance(volume.get("secret"), Mapping):
            yield from _unknown(volume["secret"], fields.SECRET_VOLUME, (*path, "secret"), "secret volume")
        if isinstance(volume.get("configMap"), Mapping):
            yield from _unknown(
                volume["configMap"], fields.CONFIGMAP_VOLUME, (*path, "configMap"), "configMap volume"
            )


RULE = Rule(
    id="unknown-field",
    summary="No unknown fields (typos the API server would silently drop)",
    severity=Severity.ERROR,
    category="schema",
    check=check,
)
