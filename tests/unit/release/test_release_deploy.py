"""The helm command kbp deploy runs, the values it adds, and the diff --dry-run shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kbp.release import upgrading
from kbp.release.deploy import (
    Plan,
    diff,
    overrides,
    setting_keys,
    upgrade_command,
    url,
    values_files,
    without_settings,
)

CHART = Path("/src/charts/journal")


def plan(**kw: object) -> Plan:
    base: dict[str, object] = {
        "release": "journal",
        "namespace": "dev",
        "chart": CHART,
        "env": "dev",
        "tag": "v1.0.0-abcdef01",
    }
    return Plan(**{**base, **kw})  # type: ignore[arg-type]


def test_the_environment_values_come_first_and_kbp_overrides_last() -> None:
    cmd = upgrade_command("helm", plan(), [Path("values-dev.yaml"), Path("digests.yaml"), Path("kbp.json")])
    assert cmd[:5] == ["helm", "upgrade", "--install", "journal", str(CHART)]
    values = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--values"]
    assert values == ["values-dev.yaml", "digests.yaml", "kbp.json"]
    assert cmd[cmd.index("--namespace") + 1] == "dev"
    assert "--dry-run=server" not in cmd


def test_dry_run_asks_the_server_and_prints_json() -> None:
    cmd = upgrade_command("helm", plan(kubeconfig=Path("/k"), context="c"), [Path("/o")], dry_run=True)
    assert "--dry-run=server" in cmd
    assert cmd[cmd.index("--output") + 1] == "json"
    assert cmd[cmd.index("--kubeconfig") + 1] == "/k"
    assert cmd[cmd.index("--kube-context") + 1] == "c"


def test_overrides_carry_the_tag_and_the_live_configuration() -> None:
    live = {"version": 3, "settings": {"entries": 20}}
    assert overrides(plan(config=live)) == {
        "image": {"api": {"tag": "v1.0.0-abcdef01"}, "fileserver": {"tag": "v1.0.0-abcdef01"}},
        "config": {"version": 3, "settings": {"entries": 20}},
    }
    assert "config" not in overrides(plan()), "a first install takes the chart's configuration"


def test_settings_the_values_files_add_beyond_the_live_ones_are_removed() -> None:
    live = {"version": 3, "settings": {"entries": 20}}
    settings = overrides(plan(config=live, chart_keys=frozenset({"entries", "replica_acks"})))["config"][
        "settings"
    ]
    assert settings == {"entries": 20, "replica_acks": None}, "null removes a key in Helm's values merge"


def test_values_files_lose_settings_and_version_once_the_cluster_decides_them() -> None:
    doc = {"config": {"version": 4, "settings": {"entries": 3}, "other": 1}, "image": {"api": {}}}
    assert without_settings(doc) == {"image": {"api": {}}, "config": {"other": 1}}
    assert without_settings({"config": {"settings": {}}}) == {}
    assert without_settings({"image": {}}) == {"image": {}}


def test_values_files_order_and_filtering(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "values-dev.yaml").write_text("config:\n  settings:\n    log_level: debug\napi: {replicas: 2}\n")
    extra = tmp_path / "digests.yaml"
    extra.write_text("image: {api: {digest: ''}}\n")
    first = plan(chart=chart, extra_values=(extra,))
    with values_files(first) as files:
        assert files[:2] == [chart / "values-dev.yaml", extra], "a first install passes the files as they are"
    later = plan(chart=chart, extra_values=(extra,), config={"version": 2, "settings": {"entries": 5}})
    with values_files(later) as files:
        docs = [json.loads(f.read_text()) for f in files]
        assert [oct(f.stat().st_mode & 0o777) for f in files] == ["0o600"] * 3
    assert docs[0] == {"api": {"replicas": 2}}
    assert docs[1] == {"image": {"api": {"digest": ""}}}
    assert docs[2]["config"] == {"version": 2, "settings": {"entries": 5}}


def test_setting_keys_reads_config_settings_of_every_values_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("config:\n  settings:\n    entries: 3\n")
    (tmp_path / "b.yaml").write_text("image: {}\n")
    (tmp_path / "c.yaml").write_text("config:\n  settings:\n    log_level: debug\n")
    files = [tmp_path / n for n in ("a.yaml", "b.yaml", "c.yaml")]
    assert setting_keys(files) == {"entries", "log_level"}


BEFORE = """
apiVersion: v1
kind: Secret
metadata: {name: redis-passwd}
data: {passwd: c2VjcmV0}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: journal-api}
spec: {replicas: 2}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: journal-config-v1}
"""
AFTER = """
apiVersion: v1
kind: Secret
metadata: {name: redis-passwd}
data: {passwd: b3RoZXI=}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: journal-api}
spec: {replicas: 3}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: journal-config-v2}
"""


def test_diff_names_added_removed_and_changed_objects_and_hides_secrets() -> None:
    d = diff(BEFORE, AFTER)
    assert d.added == ("ConfigMap/journal-config-v2",)
    assert d.removed == ("ConfigMap/journal-config-v1",)
    assert list(d.changed) == ["Deployment/journal-api"], (
        "a Secret's values are hidden, so never shown as changed"
    )
    assert "-  replicas: 2" in d.changed["Deployment/journal-api"]
    assert "+  replicas: 3" in d.changed["Deployment/journal-api"]
    assert diff(AFTER, AFTER) == diff("", "").__class__()


def test_url_comes_from_the_exposure_values() -> None:
    assert (
        url({"exposure": {"kind": "httproute", "host": "journal.localtest.me"}})
        == "https://journal.localtest.me/"
    )
    assert url({"exposure": {"kind": "none", "host": "x"}}) is None
    assert url({}) is None


def test_diff_tells_apart_values_equal_in_python_but_not_in_yaml() -> None:
    one = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {n: 1}\n"
    assert list(diff(one, one.replace("n: 1", "n: true")).changed) == ["ConfigMap/c"]
    assert list(diff(one, one.replace("n: 1", "n: 1.0")).changed) == ["ConfigMap/c"]
    assert not diff(one, one.replace("{n: 1}", "{n: 1}  # same")).changed


def test_live_values_come_from_helm_where_kbp_cannot_read_the_releases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HELM_DRIVER=sql keeps releases in a database: `helm get values --all` answers, as before."""
    helm = tmp_path / "helm"
    helm.write_text('#!/bin/sh\necho \'{"exposure": {"kind": "httproute", "host": "j.example"}}\'\n')
    helm.chmod(0o755)
    monkeypatch.setenv("HELM_DRIVER", "sql")
    values = upgrading.live_values(str(helm), None, plan())  # type: ignore[arg-type]  # no API call
    assert url(values) == "https://j.example/"
