"""A Kubernetes-List-shaped report: ``{"apiVersion": "kbp.dev/v1", "kind": "LintReport", "items": [...]}``.

Fields only ever gain members (the CLI contract for machine output).
"""

from __future__ import annotations

import json
from typing import Any

from kbp.lint.findings import Finding, Result

API_VERSION = "kbp.dev/v1"


def item(finding: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "severity": finding.severity.label,
        "message": finding.message,
        "file": finding.source,
        "line": finding.line,
        "column": finding.column,
        "field": finding.field,
        "fingerprint": finding.fingerprint,
    }
    if finding.obj is not None:
        obj = finding.obj
        out["object"] = {"apiVersion": obj.api_version, "kind": obj.kind, "name": obj.name}
        if obj.namespace:
            out["object"]["namespace"] = obj.namespace
    if finding.related:
        out["related"] = [
            {"file": r.source, "line": r.line, "column": r.column, "note": r.note} for r in finding.related
        ]
    return out


def document(result: Result) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "LintReport",
        "metadata": {
            "files": result.files,
            "objects": result.objects,
            "findings": len(result.findings),
            "exempted": result.suppressed,
            "baselined": result.baselined,
        },
        "items": [item(f) for f in result.findings],
        "errors": [
            {"file": e.source, "line": e.line, "column": e.column, "message": e.message}
            for e in result.errors
        ],
    }


def render(result: Result) -> str:
    return json.dumps(document(result), indent=2, sort_keys=False) + "\n"
