"""Baselines: remember today's findings by fingerprint, then report only new ones."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from kbp.lint.errors import ConfigError
from kbp.lint.findings import Result

KIND = "LintBaseline"


def dump(result: Result) -> str:
    fingerprints = sorted({f.fingerprint for f in result.findings})
    doc = {"apiVersion": "kbp.dev/v1", "kind": KIND, "fingerprints": fingerprints}
    return json.dumps(doc, indent=2) + "\n"


def parse(text: str, source: str) -> frozenset[str]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{source}:{err.lineno}:{err.colno}: baseline is not JSON: {err.msg}") from None
    prints = doc.get("fingerprints") if isinstance(doc, dict) and doc.get("kind") == KIND else None
    if not isinstance(prints, list) or not all(isinstance(p, str) for p in prints):
        raise ConfigError(f"{source}: not a {KIND} (expected kind: {KIND} and a fingerprints list)")
    return frozenset(prints)


def read(path: Path) -> frozenset[str]:
    try:
        return parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read baseline: {err}") from None


def apply(result: Result, known: frozenset[str]) -> Result:
    """Drop findings already in the baseline, counting them."""
    fresh = tuple(f for f in result.findings if f.fingerprint not in known)
    return dataclasses.replace(result, findings=fresh, baselined=len(result.findings) - len(fresh))
