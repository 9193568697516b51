"""The fleet CLI refusing a bad file or selector before any cluster is asked."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kbp.cli.app import app


@pytest.mark.parametrize("command", ["status", "apply"])
def test_a_bad_fleet_file_exits_2_naming_the_key(tmp_path: Path, command: str) -> None:
    bad = tmp_path / "fleet.yaml"
    bad.write_text("apiVersion: kbp.dev/v1\nkind: Fleet\nclusters: [{name: a, kubeconfig: k, lables: {}}]\n")
    result = CliRunner().invoke(app, ["fleet", command, "--fleet-file", str(bad)])
    assert result.exit_code == 2
    assert "unknown field `lables`" in result.output


GOOD = (
    "apiVersion: kbp.dev/v1\nkind: Fleet\nservices: {enabled: false}\njournal: {enabled: false}\n"
    "clusters: [{name: a, kubeconfig: k, labels: {env: dev}}]\n"
)


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["fleet", "status", "-l", "env=prod"], id="fleet-status"),
        pytest.param(["fleet", "apply", "-l", "env=prod"], id="fleet-apply"),
        pytest.param(["ns", "list", "--fleet", "env=prod"], id="ns-list"),
        pytest.param(["reap", "--fleet", "env=prod"], id="reap"),
        pytest.param(["user", "add", "alice", "--team", "t", "--fleet", "env=prod"], id="user-add"),
    ],
)
def test_a_selector_picking_nothing_exits_2_before_any_cluster(tmp_path: Path, argv: list[str]) -> None:
    good = tmp_path / "fleet.yaml"
    good.write_text(GOOD)
    result = CliRunner().invoke(app, [*argv, "--fleet-file", str(good)])
    assert result.exit_code == 2, result.output
    assert 'selector "env=prod" matches no cluster' in result.output


def test_reap_across_a_fleet_takes_no_interval(tmp_path: Path) -> None:
    good = tmp_path / "fleet.yaml"
    good.write_text(GOOD)
    result = CliRunner().invoke(app, ["reap", "--fleet", "", "--interval", "1h", "--fleet-file", str(good)])
    assert result.exit_code == 2
    assert "does not take --interval" in result.output
