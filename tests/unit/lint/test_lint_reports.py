"""Report structure: SARIF 2.1.0 essentials, JUnit XML, the JSON List shape, hostile strings."""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from kbp.lint import engine, sources
from kbp.lint.errors import InputError
from kbp.lint.findings import Finding, Location, ObjectRef, Result
from kbp.lint.report import render
from kbp.lint.rulebook import Severity
from kbp.lint.rules import ALL

LEVELS = {"none", "note", "warning", "error"}
URI_REFERENCE = re.compile(r"^[^\s<>\"{}|\\^`]+$")


def sample() -> Result:
    obj = ObjectRef("v1", "Pod", "we\x01ird <&> name", "ns")
    findings = (
        Finding("bare-pod", Severity.WARNING, 'bare "Pod" <x> & y', "dir/a b.yaml", 3, 1, "kind", obj),
        Finding("image-tag-format", Severity.INFO, "tag", "/abs/p.yaml", 9, 11, "spec", obj),
        Finding("base-image-pinned", Severity.WARNING, "FROM", "Dockerfile", 2, 1, "FROM[0]", None),
    )
    error = InputError("<stdin>", 4, 2, "invalid YAML: \x00 nul")
    return Result(findings, (error,), ALL, files=3, objects=1, checked=(("dir/a b.yaml", "Pod/x"),))


def check_sarif_essentials(doc: dict[str, Any]) -> None:
    """The parts of the SARIF 2.1.0 schema consumers (GitHub code scanning) rely on."""
    assert doc["version"] == "2.1.0"
    assert doc["$schema"].endswith("sarif-2.1.0.json")
    assert isinstance(doc["runs"], list)
    assert doc["runs"]
    for run in doc["runs"]:
        driver = run["tool"]["driver"]
        assert isinstance(driver["name"], str)
        assert driver["name"]
        ids = [rule["id"] for rule in driver["rules"]]
        assert len(ids) == len(set(ids))
        for rule in driver["rules"]:
            assert rule["defaultConfiguration"]["level"] in LEVELS
            assert isinstance(rule["shortDescription"]["text"], str)
        for result in run["results"]:
            assert isinstance(result["message"]["text"], str)
            assert result["level"] in LEVELS
            if "ruleIndex" in result:
                assert ids[result["ruleIndex"]] == result["ruleId"]
            for location in result["locations"]:
                physical = location["physicalLocation"]
                artifact = physical["artifactLocation"]
                assert URI_REFERENCE.match(artifact["uri"]), artifact["uri"]
                if "uriBaseId" in artifact:
                    assert artifact["uriBaseId"] in run["originalUriBaseIds"]
                assert physical["region"]["startLine"] >= 1
                assert physical["region"]["startColumn"] >= 1
            assert all(isinstance(v, str) for v in result["partialFingerprints"].values())
        for invocation in run["invocations"]:
            assert isinstance(invocation["executionSuccessful"], bool)


def test_sarif_has_the_essentials_and_encodes_paths() -> None:
    doc = json.loads(render(sample(), "sarif"))
    check_sarif_essentials(doc)
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]
    ]
    assert uris == ["dir/a%20b.yaml", "file:///abs/p.yaml", "Dockerfile"]
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_sarif_of_a_real_run_has_the_essentials() -> None:
    collected = sources.collect([str(Path(__file__).parents[2] / "lint_fixtures")])
    result = engine.lint(collected.sources, engine.Policy(), collected.errors)
    assert len(result.findings) > 50
    check_sarif_essentials(json.loads(render(result, "sarif")))


def test_junit_is_well_formed_and_counts_add_up() -> None:
    root = ET.fromstring(render(sample(), "junit"))
    assert root.tag == "testsuites"
    suites = list(root)
    assert sum(int(s.get("tests", "0")) for s in suites) == int(root.get("tests", "-1"))
    assert int(root.get("failures", "-1")) == 2  # the info-only case does not fail
    assert int(root.get("errors", "-1")) == 1
    names = [case.get("name") for case in root.iter("testcase")]
    assert "we\ufffdird <&> name" in " ".join(str(n) for n in names)


def test_json_is_a_list_shaped_report() -> None:
    doc = json.loads(render(sample(), "json"))
    assert (doc["apiVersion"], doc["kind"]) == ("kbp.dev/v1", "LintReport")
    assert [i["ruleId"] for i in doc["items"]] == ["bare-pod", "image-tag-format", "base-image-pinned"]
    assert doc["items"][0]["object"] == {
        "apiVersion": "v1",
        "kind": "Pod",
        "name": "we\x01ird <&> name",
        "namespace": "ns",
    }
    assert "object" not in doc["items"][2]
    assert doc["errors"][0]["line"] == 4


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown output format"):
        render(sample(), "yaml")


def test_fingerprints_ignore_lines_but_not_identity() -> None:
    a = sample().findings[0]
    moved = Finding(a.rule_id, a.severity, a.message, a.source, a.line + 10, a.column + 2, a.field, a.obj)
    other = Finding(a.rule_id, a.severity, a.message, a.source, a.line, a.column, "spec", a.obj)
    assert moved.fingerprint == a.fingerprint
    assert other.fingerprint != a.fingerprint


def test_the_other_side_of_a_cross_release_finding_is_in_every_format() -> None:
    obj = ObjectRef("gateway.networking.k8s.io/v1", "HTTPRoute", "journal", "journal")
    other = Location("deploy/edge/gateway.yaml", 4, 3, "Gateway envoy-gateway-system/public")
    finding = Finding(
        "route-gateway-missing", Severity.ERROR, "no Gateway", "route.yaml", 9, 7, "spec", obj, (other,)
    )
    result = Result((finding,), (), ALL, files=2, objects=2)
    text = render(result, "text")
    assert text.rstrip().endswith("; see deploy/edge/gateway.yaml:4:3 (Gateway envoy-gateway-system/public)")
    [item] = json.loads(render(result, "json"))["items"]
    assert item["related"] == [
        {
            "file": "deploy/edge/gateway.yaml",
            "line": 4,
            "column": 3,
            "note": "Gateway envoy-gateway-system/public",
        }
    ]
    [sarif] = json.loads(render(result, "sarif"))["runs"][0]["results"]
    [related] = sarif["relatedLocations"]
    assert related["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 3}
    assert related["message"]["text"] == "Gateway envoy-gateway-system/public"
    assert "deploy/edge/gateway.yaml:4:3" in render(result, "junit")
    # the other side may move without making the finding new
    assert finding.fingerprint == dataclasses.replace(finding, related=()).fingerprint
