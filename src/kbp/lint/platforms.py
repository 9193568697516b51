"""The whole set linted in one run, for the cross-release rules: every object, the releases that
put them there, and what the CI pipeline pushes. Built once, from parsed documents; no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property

from kbp.lint import documents, pipelines
from kbp.lint.bundle import Bundle
from kbp.lint.manifests import Manifest, Path, Release, as_list, as_map
from kbp.lint.pipelines import Push
from kbp.lint.rulebook import Pointer


@dataclass(frozen=True)
class Declared:
    """A release of the set, with the helmfile entry that declares it (None: from --chart)."""

    release: Release
    entry: Pointer | None


@dataclass(frozen=True)
class Platform:
    bundle: Bundle
    releases: tuple[Declared, ...]
    pushes: tuple[Push, ...]  # what the set's CI workflows push

    @cached_property
    def namespaces(self) -> frozenset[str]:
        """Every namespace a release or an object of the set uses."""
        used = {d.release.namespace for d in self.releases}
        used |= {m.namespace for m in self.bundle.manifests if m.namespace}
        used |= {m.name for m in self.bundle.of_kind("Namespace")}
        return frozenset(used)

    def of_chart(self, *charts: str) -> Iterator[Declared]:
        for declared in self.releases:
            if declared.release.chart in charts:
                yield declared

    def where(self, declared: Declared, note: str) -> Pointer | None:
        """A pointer to the release: its helmfile entry, or the first object rendered from it."""
        if declared.entry is not None:
            return Pointer(declared.entry.document, declared.entry.path, note)
        for m in self.bundle.manifests:
            if m.release == declared.release:
                return Pointer(m, ("metadata",), note)
        return None


def chart_name(chart: str) -> str:
    """`envoyproxy/gateway-helm`, `oci://…/gateway-helm`, `./charts/edge` -> its last component."""
    return chart.rstrip("/").rsplit("/", 1)[-1]


def _helmfile_releases(part: Manifest) -> Iterator[Declared]:
    for i, raw in enumerate(as_list(part.body.get("releases"))):
        entry = as_map(raw)
        name, namespace, chart = (entry.get(k) for k in ("name", "namespace", "chart"))
        literal = all(isinstance(v, str) and v and "{{" not in v for v in (name, namespace, chart))
        if not literal or entry.get("installed") is False:
            continue
        path: Path = ("releases", i)
        release = Release(str(name), str(namespace), chart_name(str(chart)))
        yield Declared(release, Pointer(part, path, f"release {namespace}/{name} ({chart})"))


def build(bundle: Bundle, parts: Iterable[Manifest], tag_format: re.Pattern[str]) -> Platform:
    parts = tuple(parts)
    declared: dict[tuple[str, str], Declared] = {}
    for part in parts:
        if documents.kind_of(part.body) == "helmfile":
            for d in _helmfile_releases(part):
                declared.setdefault((d.release.namespace, d.release.name), d)
    for m in bundle.manifests:
        r = m.release
        if r is not None and (r.namespace, r.name) not in declared:
            declared[(r.namespace, r.name)] = Declared(r, None)
    workflows = tuple(p for p in parts if documents.kind_of(p.body) == "workflow")
    pushed = tuple(push for w in workflows for push in pipelines.pushes(w, tag_format))
    return Platform(bundle, tuple(declared.values()), pushed)
