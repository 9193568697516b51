"""Exemptions: by annotation on the object or its pod template (with a required reason), or by config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

from kbp.lint.manifests import Manifest, annotation_map, template_metadata

EXEMPT = "kbp.dev/lint-exempt"
REASON = "kbp.dev/lint-exempt-reason"


def parse_ids(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def has_exemption(meta: Mapping[str, object]) -> bool:
    """Cheap pre-check, run on every object: most carry no exemption at all."""
    raw = meta.get("annotations")
    return isinstance(raw, dict) and EXEMPT in raw


def _exempted_by(meta: Mapping[str, object]) -> set[str]:
    if not has_exemption(meta):
        return set()
    notes = annotation_map(meta)
    if EXEMPT not in notes or not notes.get(REASON, "").strip():
        return set()  # no reason, no exemption (exemption-reason reports it)
    return set(parse_ids(notes[EXEMPT]))


def annotated(m: Manifest) -> frozenset[str]:
    """Rule ids the object exempts itself from, reading object and pod-template metadata."""
    return frozenset(_exempted_by(m.metadata) | _exempted_by(template_metadata(m)))


@dataclass(frozen=True)
class ConfigExemption:
    """All given criteria must match; an empty criterion matches everything."""

    reason: str
    rules: frozenset[str] = frozenset()
    paths: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()

    def covers(self, rule_id: str, source: str, m: Manifest | None) -> bool:
        if self.rules and rule_id not in self.rules:
            return False
        if self.paths and not any(fnmatchcase(source, p) for p in self.paths):
            return False
        if m is None:
            return not (self.names or self.kinds or self.namespaces)
        if self.names and not any(fnmatchcase(m.name, p) for p in self.names):
            return False
        if self.kinds and m.kind not in self.kinds:
            return False
        return not self.namespaces or (m.namespace or "") in self.namespaces
