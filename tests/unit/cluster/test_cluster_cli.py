"""`kbp cluster` on a state directory with no cluster: status says so, down is a no-op."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kbp.cli.app import app


def test_status_without_a_cluster_lists_every_component_as_down(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["cluster", "status", "--state-dir", str(tmp_path)])
    assert result.exit_code == 1
    for name in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"):
        assert name in result.output


def test_status_json_says_each_component_is_down(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["cluster", "status", "--state-dir", str(tmp_path), "-o", "json"])
    assert result.exit_code == 1
    items = json.loads(result.stdout)["items"]
    assert {item["component"] for item in items} >= {"etcd", "kube-apiserver", "kwok"}
    assert not any(item["alive"] for item in items)


def test_down_without_a_cluster_succeeds(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["cluster", "down", "--state-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
