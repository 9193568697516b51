"""`kbp cluster-services` refuses a bad file with exit 2 before it looks for helmfile or helm."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kbp.cli.app import app

UNPINNED = """\
repositories: [{name: r, url: https://charts.example.org}]
releases:
  - {name: good, namespace: a, chart: r/good, version: 1.0.0}
  - {name: loose, namespace: a, chart: r/loose, version: "^1.0.0"}
"""


@pytest.mark.parametrize("verb", [["apply"], ["apply", "--dry-run"], ["diff"], ["status"]])
def test_an_unpinned_file_exits_2_naming_the_release_with_no_tools_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verb: list[str]
) -> None:
    (tmp_path / "helmfile.yaml").write_text(UNPINNED)
    monkeypatch.setenv("PATH", str(tmp_path))  # no helmfile, no helm: reaching them would exit 1
    result = CliRunner().invoke(app, ["cluster-services", *verb, "-f", str(tmp_path), "-e", "default"])
    assert result.exit_code == 2, result.output
    assert 'release "loose" has version "^1.0.0", a range' in result.output


def test_missing_tools_exit_1_naming_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "helmfile.yaml").write_text(UNPINNED.replace('"^1.0.0"', "1.0.0"))
    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(app, ["cluster-services", "status", "-f", str(tmp_path), "-e", "default"])
    assert result.exit_code == 1
    assert "helmfile not found on PATH" in result.output


def test_an_undeclared_environment_exits_2() -> None:
    real = Path(__file__).parents[3] / "deploy" / "cluster-services"
    result = CliRunner().invoke(app, ["cluster-services", "status", "-f", str(real), "-e", "staging"])
    assert result.exit_code == 2
    assert 'unknown environment "staging" (declared: dev, prod)' in result.output
