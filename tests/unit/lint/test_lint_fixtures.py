"""Each rule against its fixtures: fail files state every finding they expect, pass files expect none."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from kbp.lint import engine, sources
from kbp.lint.rules import ALL

FIXTURES = Path(__file__).parents[2] / "lint_fixtures"
DOCS = Path(__file__).parents[3] / "docs" / "lint.md"
_EXPECT = re.compile(r"#\s*expect:\s*(?P<ids>[a-z0-9, -]+?)\s*$")
_EXPECT_NEXT = re.compile(r"^\s*#\s*expect-next-line:\s*(?P<ids>[a-z0-9, -]+?)\s*$")
_RELATED = re.compile(r"#\s*related:\s*(?P<ids>[a-z0-9, -]+?)\s*$")
Where = Counter[tuple[str, str, int]]  # (rule id, file within the fixture, line)


def _files(path: Path) -> list[Path]:
    """A fixture is a file, or a directory of parts linted together (cross-release rules)."""
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


def _name(fixture: Path, file: str) -> str:
    return str(Path(file).relative_to(fixture)) if fixture.is_dir() else Path(file).name


def expected(fixture: Path) -> tuple[Where, Where]:
    """Findings (`# expect:`) and the other sides of cross-release findings (`# related:`)."""
    findings: Where = Counter()
    related: Where = Counter()
    for file in _files(fixture):
        name = _name(fixture, str(file))
        for number, line in enumerate(file.read_text().splitlines(), start=1):
            for pattern, target in ((_EXPECT_NEXT, number + 1), (_EXPECT, number)):
                match = pattern.search(line)
                if match:
                    findings.update((rule_id.strip(), name, target) for rule_id in match["ids"].split(","))
                    break
            match = _RELATED.search(line)
            if match:
                related.update((rule_id.strip(), name, number) for rule_id in match["ids"].split(","))
    return findings, related


def lint_only(rule_id: str, path: Path) -> tuple[Where, Where, list[str]]:
    policy = engine.Policy(disabled=frozenset(r.id for r in ALL if r.id != rule_id))
    collected = sources.collect([str(path)])
    result = engine.lint(collected.sources, policy, collected.errors)
    errors = [str(e) for e in result.errors]
    found = Counter((f.rule_id, _name(path, f.source), f.line) for f in result.findings)
    related = Counter((f.rule_id, _name(path, r.source), r.line) for f in result.findings for r in f.related)
    return found, related, errors


def fixture_files() -> list[object]:
    return [
        pytest.param(rule_dir.name, path, id=f"{rule_dir.name}/{path.name}")
        for rule_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir())
        for path in sorted(rule_dir.iterdir())
    ]


@pytest.mark.parametrize(("rule_id", "path"), fixture_files())
def test_fixture(rule_id: str, path: Path) -> None:
    want, want_related = expected(path)
    got, got_related, errors = lint_only(rule_id, path)
    assert errors == []
    if path.name.startswith("fail-"):
        assert want, f"{path} states no expected finding"
        assert all(r == rule_id for r, _, _ in want), "fail fixtures only expect their own rule"
    else:
        assert path.name.startswith("pass-"), f"{path}: fixture names start with pass- or fail-"
    assert got == want
    assert got_related == want_related


@pytest.mark.parametrize("rule", ALL, ids=lambda r: r.id)
def test_every_rule_has_fixtures_and_docs(rule: object) -> None:
    rule_id = getattr(rule, "id", "")
    folder = FIXTURES / rule_id
    names = [p.name for p in folder.iterdir()] if folder.is_dir() else []
    assert any(n.startswith("pass-") for n in names), f"{rule_id}: no pass fixture"
    assert any(n.startswith("fail-") for n in names), f"{rule_id}: no fail fixture"
    docs = DOCS.read_text()
    section = re.search(rf"^### `{re.escape(rule_id)}`\n(?P<body>.*?)(?=^### |\Z)", docs, re.M | re.S)
    assert section, f"{rule_id}: no section in docs/lint.md"
    for part in ("**What**", "**Why**", "**Fix**", "```"):
        assert part in section["body"], f"{rule_id}: docs section lacks {part}"


def test_no_fixture_folder_without_a_rule() -> None:
    known = {r.id for r in ALL}
    assert {p.name for p in FIXTURES.iterdir() if p.is_dir()} <= known


def test_rule_ids_are_stable_kebab_case_and_match_modules() -> None:
    rules_dir = Path(__file__).parents[3] / "src" / "kbp" / "lint" / "rules"
    for rule in ALL:
        assert re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", rule.id)
        assert (rules_dir / f"{rule.id.replace('-', '_')}.py").is_file()


def test_docs_rule_table_matches_the_registry() -> None:
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (info|warning|error) \| ([a-z]+) \|$", DOCS.read_text(), re.M)
    assert rows == [(r.id, r.severity.label, r.category) for r in ALL]
