"""SARIF 2.1.0 (the OASIS static-analysis format GitHub code scanning reads), with real line numbers."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from kbp.lint.findings import Finding, Result
from kbp.lint.rulebook import Rule, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _uri(source: str) -> dict[str, str]:
    path = PurePosixPath(source)
    if path.is_absolute():
        return {"uri": path.as_uri()}
    return {"uri": quote(source), "uriBaseId": "%SRCROOT%"}


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.summary},
        "help": {"text": f"{rule.summary}. See docs/lint.md#{rule.id}."},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"category": rule.category, "tags": [rule.category]},
    }


def _result(finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": _uri(finding.source),
            "region": {"startLine": finding.line, "startColumn": finding.column},
        }
    }
    if finding.obj is not None:
        obj = finding.obj
        location["logicalLocations"] = [
            {
                "name": obj.name,
                "fullyQualifiedName": "/".join(p for p in (obj.kind, obj.namespace, obj.name) if p),
                "kind": "object",
            }
        ]
    out: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [location],
        "partialFingerprints": {"kbpFingerprint/v1": finding.fingerprint},
    }
    if finding.rule_id in rule_index:
        out["ruleIndex"] = rule_index[finding.rule_id]
    if finding.related:
        out["relatedLocations"] = [
            {
                "id": i,
                "physicalLocation": {
                    "artifactLocation": _uri(r.source),
                    "region": {"startLine": r.line, "startColumn": r.column},
                },
                "message": {"text": r.note},
            }
            for i, r in enumerate(finding.related)
        ]
    return out


def document(result: Result) -> dict[str, Any]:
    rule_index = {rule.id: i for i, rule in enumerate(result.rules)}
    notifications = [
        {
            "level": "error",
            "message": {"text": error.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _uri(error.source),
                        "region": {"startLine": error.line, "startColumn": error.column},
                    }
                }
            ],
        }
        for error in result.errors
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "kbp-lint",
                "rules": [_rule(rule) for rule in result.rules],
            }
        },
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the directory kbp lint ran in"}}},
        "results": [_result(f, rule_index) for f in result.findings],
        "invocations": [
            {"executionSuccessful": not result.errors, "toolExecutionNotifications": notifications}
        ],
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(result: Result) -> str:
    return json.dumps(document(result), indent=2) + "\n"
