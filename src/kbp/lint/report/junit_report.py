"""JUnit XML: a suite per file, a test case per object; findings of warning or above fail it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from kbp.lint.findings import Finding, Result
from kbp.lint.report.text_report import line
from kbp.lint.rulebook import Severity

# Characters XML 1.0 cannot carry, which hostile input may put in names and messages.
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _case_name(finding: Finding) -> str:
    return f"{finding.obj.kind}/{finding.obj.name}" if finding.obj else "Dockerfile"


def _suite(source: str, cases: dict[str, list[Finding]]) -> ET.Element:
    suite = ET.Element("testsuite", name=_clean(source))
    failures = 0
    for name, findings in cases.items():
        case = ET.SubElement(suite, "testcase", classname=_clean(source), name=_clean(name))
        failing = [f for f in findings if f.severity >= Severity.WARNING]
        if failing:
            failures += 1
            rules = sorted({f.rule_id for f in failing})
            failure = ET.SubElement(case, "failure", type=",".join(rules), message=_clean(failing[0].message))
            failure.text = _clean("\n".join(line(f) for f in failing))
        notes = [f for f in findings if f.severity < Severity.WARNING]
        if notes:
            ET.SubElement(case, "system-out").text = _clean("\n".join(line(f) for f in notes))
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    return suite


def render(result: Result) -> str:
    grouped: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for source, name in result.checked:
        grouped[source].setdefault(name, [])
    for finding in result.findings:
        grouped[finding.source][_case_name(finding)].append(finding)
    root = ET.Element("testsuites", name="kbp lint")
    for source in sorted(grouped):
        root.append(_suite(source, grouped[source]))
    if result.errors:
        suite = ET.SubElement(root, "testsuite", name="input", tests=str(len(result.errors)))
        suite.set("failures", "0")
        suite.set("errors", str(len(result.errors)))
        for error in result.errors:
            case = ET.SubElement(suite, "testcase", classname="input", name=_clean(error.source))
            ET.SubElement(case, "error", message=_clean(error.message)).text = _clean(str(error))
    root.set("tests", str(sum(int(s.get("tests", "0")) for s in root)))
    root.set("failures", str(sum(int(s.get("failures", "0")) for s in root)))
    root.set("errors", str(sum(int(s.get("errors", "0")) for s in root)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
