"""The helm command kbp deploy runs, the values it adds, and the diff --dry-run shows."""

from __future__ import annotations

from pathlib import Path

from kbp.release.deploy import Plan, diff, overrides, upgrade_command, url

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
    cmd = upgrade_command("helm", plan(extra_values=(Path("digests.yaml"),)), Path("/tmp/kbp.yaml"))
    assert cmd[:5] == ["helm", "upgrade", "--install", "journal", str(CHART)]
    values = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--values"]
    assert values == [str(CHART / "values-dev.yaml"), "digests.yaml", "/tmp/kbp.yaml"]
    assert cmd[cmd.index("--namespace") + 1] == "dev"
    assert "--dry-run=server" not in cmd


def test_dry_run_asks_the_server_and_prints_json() -> None:
    cmd = upgrade_command("helm", plan(kubeconfig=Path("/k"), context="c"), Path("/o"), dry_run=True)
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
