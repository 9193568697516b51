"""One line per finding, ``file:line:col: severity rule-id: message (kind/name)``, for grep and editors;
cross-release findings add ``; see file:line:col (what is there)`` for the other side."""

from __future__ import annotations

from kbp.lint.findings import Finding, Result


def line(finding: Finding) -> str:
    where = f"{finding.source}:{finding.line}:{finding.column}"
    text = f"{where}: {finding.severity.label} {finding.rule_id}: {finding.message}"
    if finding.obj is not None:
        text += f" ({finding.obj.kind}/{finding.obj.name})"
    for other in finding.related:  # the other side of a cross-release finding
        text += f"; see {other.source}:{other.line}:{other.column} ({other.note})"
    return text


def render(result: Result) -> str:
    return "".join(line(f) + "\n" for f in result.findings)


def summary(result: Result) -> str:
    """The closing stderr line: counts, so a clean run still says what it looked at."""
    counts = ", ".join(
        f"{result.count(s)} {s.label}" for s in sorted({f.severity for f in result.findings}, reverse=True)
    )
    parts = [f"{len(result.findings)} findings" + (f" ({counts})" if counts else "")]
    parts.append(f"{result.objects} objects in {result.files} files")
    if result.suppressed:
        parts.append(f"{result.suppressed} exempted")
    if result.baselined:
        parts.append(f"{result.baselined} in baseline")
    if result.errors:
        parts.append(f"{len(result.errors)} input errors")
    return "; ".join(parts)
