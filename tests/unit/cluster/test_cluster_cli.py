"""`kbp cluster` on a state directory with no cluster: status says so, down is a no-op."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kbp.cli.app import app
from kbp.cluster.layout import Layout


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


def test_named_clusters_live_side_by_side_under_the_state_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KBP_STATE", str(tmp_path))
    assert Layout.named("canary").root == tmp_path / "clusters" / "canary"
    assert Layout.named("canary").kubeconfig != Layout.named("prod-eu").kubeconfig
    result = CliRunner().invoke(app, ["cluster", "status", "--name", "canary", "-o", "json"])
    assert result.exit_code == 1
    assert not (tmp_path / "cluster").exists(), "a named cluster never touches the default one"


@pytest.mark.parametrize(
    "name", ["Prod", "a_b", "-x", ""], ids=["upper", "underscore", "dash-first", "empty"]
)
def test_a_cluster_name_must_be_a_dns_label(name: str) -> None:
    result = CliRunner().invoke(app, ["cluster", "status", "--name", name])
    assert result.exit_code == 2
    assert "DNS label" in result.output


def test_name_and_state_dir_exclude_each_other(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["cluster", "down", "--name", "a", "--state-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "not both" in result.output
