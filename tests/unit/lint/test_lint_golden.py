"""CLI output in every format against golden files (KBP_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kbp.cli.app import app
from kbp.lint.rules import ALL

GOLDEN = Path(__file__).parent / "golden"
SUFFIX = {"text": "txt", "json": "json", "sarif": "sarif", "junit": "xml"}


def run_cli(
    args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch, stdin: str | None = None
) -> tuple[int, str]:
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(app, ["lint", *args], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


@pytest.mark.parametrize("fmt", list(SUFFIX))
def test_output_matches_golden(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run_cli(["-o", fmt, "."], GOLDEN / "input", monkeypatch)
    assert code == 1
    golden = GOLDEN / f"journal.{SUFFIX[fmt]}"
    if os.environ.get("KBP_UPDATE_GOLDEN"):
        golden.write_text(out)
    assert out == golden.read_text()


def test_stdin_is_linted_like_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (GOLDEN / "input" / "journal.yaml").read_text()
    code, out = run_cli(["-"], GOLDEN / "input", monkeypatch, stdin=text)
    assert code == 1
    from_file = (GOLDEN / "journal.txt").read_text()
    expected = [
        line.replace("journal.yaml:", "<stdin>:") for line in from_file.splitlines() if "journal.yaml" in line
    ]
    assert out.splitlines() == expected


def test_list_rules_names_every_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run_cli(["--list-rules"], GOLDEN, monkeypatch)
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == [r.id for r in ALL]
