"""exemption-reason: a kbp.dev/lint-exempt annotation needs a reason and known rule ids."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kbp.lint.bundle import Bundle
from kbp.lint.exemptions import EXEMPT, REASON, has_exemption, parse_ids
from kbp.lint.manifests import Manifest, Path, annotation_map, template_metadata, template_path
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    base = template_path(m)
    places: list[tuple[Mapping[str, Any], Path]] = [(m.metadata, ("metadata", "annotations"))]
    if base:
        places.append((template_metadata(m), (*base, "metadata", "annotations")))
    for meta, path in places:
        if not has_exemption(meta):
            continue
        notes = annotation_map(meta)
        if not notes.get(REASON, "").strip():
            yield Hit(f"{EXEMPT} without a {REASON} annotation: the exemption is ignored", (*path, EXEMPT))
        unknown = [
            i for i in parse_ids(notes[EXEMPT]) if options.known_rules and i not in options.known_rules
        ]
        if unknown:
            yield Hit(f"{EXEMPT} names unknown rules: {', '.join(unknown)}", (*path, EXEMPT))


RULE = Rule(
    id="exemption-reason",
    summary="Lint exemptions name known rules and give a reason",
    severity=Severity.ERROR,
    category="meta",
    check=check,
    exemptable=False,
)
