"""The diff `kbp cluster-services diff` shows: rendered against deployed, object by object."""

from __future__ import annotations

from kbp.platform import changes
from kbp.platform.changes import Action
from kbp.platform.drift import Deployed
from kbp.platform.releases import Release

PIN = Release(name="app", namespace="svc", chart="test/svc-app", version="0.1.0")
LIVE = Deployed("app", "svc", "svc-app", "0.1.0", 1, "deployed", "t")

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-settings
data:
  greeting: {greeting}
"""
SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: app-token
stringData:
  token: {token}
  other: same
"""


def manifest(greeting: str = "hello", token: str = "s3cr3t-old") -> str:
    return "---\n# Source: x\n" + CONFIGMAP.format(greeting=greeting) + "---\n" + SECRET.format(token=token)


def test_the_same_manifest_is_unchanged() -> None:
    plan = changes.plan_release(
        PIN, enabled=True, deployed=LIVE, deployed_manifest=manifest(), desired_manifest=manifest()
    )
    assert plan.action is Action.unchanged
    assert not plan.changes
    assert plan.objects == ()


def test_a_changed_value_is_an_upgrade_showing_the_line() -> None:
    plan = changes.plan_release(
        PIN, enabled=True, deployed=LIVE, deployed_manifest=manifest(), desired_manifest=manifest("bonjour")
    )
    assert plan.action is Action.upgrade
    [obj] = [o for o in plan.objects if o.key.startswith("ConfigMap/")]
    assert obj.change == "changed"
    assert "-  greeting: hello" in obj.diff
    assert "+  greeting: bonjour" in obj.diff


def test_secret_values_never_show_only_that_they_changed() -> None:
    plan = changes.plan_release(
        PIN,
        enabled=True,
        deployed=LIVE,
        deployed_manifest=manifest(),
        desired_manifest=manifest(token="s3cr3t-new"),
    )
    [obj] = plan.objects
    assert obj.key == "Secret/app-token"
    assert "s3cr3t" not in obj.diff
    assert "-  token: (redacted)" in obj.diff
    assert "+  token: (redacted, changed)" in obj.diff
    assert "other" not in [
        line.split(":")[0].strip("+- ") for line in obj.diff.splitlines() if line[:1] in "+-"
    ]


def test_a_new_release_installs_every_object() -> None:
    plan = changes.plan_release(
        PIN, enabled=True, deployed=None, deployed_manifest="", desired_manifest=manifest()
    )
    assert plan.action is Action.install
    assert {o.change for o in plan.objects} == {"added"}
    assert all("s3cr3t" not in o.diff for o in plan.objects)


def test_another_deployed_version_is_an_upgrade_even_with_equal_objects() -> None:
    moved = Deployed("app", "svc", "svc-app", "0.2.0", 2, "deployed", "t")
    plan = changes.plan_release(
        PIN, enabled=True, deployed=moved, deployed_manifest=manifest(), desired_manifest=manifest()
    )
    assert plan.action is Action.upgrade
    assert plan.as_item()["from"] == "0.2.0"


def test_a_switched_off_release_is_skipped() -> None:
    plan = changes.plan_release(PIN, enabled=False, deployed=None, deployed_manifest="", desired_manifest="")
    assert plan.action is Action.skip
    assert not plan.changes


def test_removed_objects_are_listed() -> None:
    only_cm = "---\n" + CONFIGMAP.format(greeting="hello")
    plan = changes.plan_release(
        PIN, enabled=True, deployed=LIVE, deployed_manifest=manifest(), desired_manifest=only_cm
    )
    assert [(o.key, o.change) for o in plan.objects] == [("Secret/app-token", "removed")]
