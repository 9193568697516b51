"""duplicate-key: a YAML mapping with the same key twice; the API server keeps only the last."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import Manifest
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    n = len(m.base)
    for path in m.duplicates:
        if path[:n] == m.base:
            rel = path[n:]
            yield Hit(f"key {rel[-1]!r} appears more than once; only the last value is kept", rel)


RULE = Rule(
    id="duplicate-key",
    summary="No duplicate keys in a mapping",
    severity=Severity.ERROR,
    category="schema",
    check=check,
)
