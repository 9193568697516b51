"""Which releases `helm list -A --deployed --failed --pending` shows, decided from Helm's records.

tests/integration/test_helm_releases.py compares the whole read with helm's own list on a cluster.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Mapping
from typing import Any

import pytest

from kbp import kube
from kbp.platform import helmstore
from kbp.platform.errors import ToolError


def release(
    name: str, revision: int, status: str, chart: str = "tiny", version: str = "0.1.0"
) -> dict[str, Any]:
    return {
        "name": name, "namespace": "ns", "version": revision, "manifest": f"# {name} r{revision}\n",
        "info": {"status": status, "last_deployed": "2026-12-07T12:00:00Z"},
        "chart": {"metadata": {"name": chart, "version": version}, "templates": []},
    }  # fmt: skip


def encoded(doc: Mapping[str, Any], *, zipped: bool = True) -> str:
    raw = json.dumps(doc).encode()
    return base64.b64encode(gzip.compress(raw) if zipped else raw).decode()


def secret(
    doc: Mapping[str, Any], *, label_status: str | None = None, payload: str | None = None
) -> dict[str, Any]:
    """A record as the API lists it: the Secret's data is base64 of helm's base64 text."""
    name, revision = doc["name"], doc["version"]
    text = payload if payload is not None else encoded(doc)
    return {
        "metadata": {
            "name": f"sh.helm.release.v1.{name}.v{revision}", "namespace": "ns",
            "labels": {"owner": "helm", "name": name, "version": str(revision),
                       "status": label_status or doc["info"]["status"]},
        },
        "type": "helm.sh/release.v1",
        "data": {"release": base64.b64encode(text.encode()).decode()},
    }  # fmt: skip


@pytest.mark.parametrize("zipped", [True, False], ids=["gzip", "before-compression"])
def test_decode_reads_helms_encoding(zipped: bool) -> None:
    doc = release("a", 1, "deployed")
    assert helmstore.decode(encoded(doc, zipped=zipped)) == doc


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param("not base64!", id="base64"),
        pytest.param(base64.b64encode(b"\x1f\x8b\x08broken").decode(), id="gzip"),
        pytest.param(base64.b64encode(b"[1]").decode(), id="not-object"),
    ],
)
def test_decode_refuses_what_is_not_a_release(payload: str) -> None:
    with pytest.raises(ValueError, match="not a Helm release"):
        helmstore.decode(payload)


def test_as_deployed_keeps_chart_name_and_version_apart() -> None:
    d = helmstore.as_deployed(release("gw", 4, "failed", chart="gateway-helm", version="v1.8.2-rc.1"))
    assert (d.key, d.chart_name, d.version, d.revision, d.status) == (
        "ns/gw",
        "gateway-helm",
        "v1.8.2-rc.1",
        4,
        "failed",
    )
    assert d.manifest == "# gw r4\n"


def test_newest_takes_the_highest_revision_and_drops_what_helm_does_not_list() -> None:
    records = [
        secret(release("many", 2, "failed")),  # a failed revision in the history
        secret(release("many", 10, "deployed")),  # 10 > 9: numbers, not strings
        secret(release("many", 9, "failed")),
        secret(release("gone", 3, "uninstalled")),
        secret(release("gone", 2, "failed")),
        {"metadata": {"name": "odd", "namespace": "ns", "labels": {"owner": "helm", "name": "odd"}}},
    ]
    found = helmstore.newest(records)
    assert [[r["metadata"]["labels"]["version"] for r in revisions] for revisions in found] == [
        ["10", "9", "2"]
    ]


def test_deployed_releases_lists_once_skips_an_unreadable_newest_and_applies_the_status(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = [
        secret(release("a", 2, "deployed"), payload="garbage"),  # helm skips it and lists revision 1
        secret(release("a", 1, "failed")),
        secret(release("b", 1, "pending-upgrade")),
        # Labels say deployed, the record says uninstalling: helm filters on the record.
        secret(release("c", 1, "uninstalling"), label_status="deployed"),
    ]
    calls: list[tuple[Any, ...]] = []

    def listed(client: object, api_version: str, kind: str, **selector: Any) -> list[dict[str, Any]]:
        calls.append((api_version, kind, selector))
        return records

    monkeypatch.setattr(kube, "list_objects", listed)
    found = helmstore.deployed_releases(object())  # type: ignore[arg-type]
    assert {k: (d.revision, d.status) for k, d in found.items()} == {
        "ns/a": (1, "failed"),
        "ns/b": (1, "pending-upgrade"),
    }
    assert calls == [("v1", "Secret", {"labels": {"owner": "helm"}, "excluding": {"status": "superseded"}})]


def test_configmap_records_hold_helms_text_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    record = secret(release("a", 1, "deployed"))
    record["data"]["release"] = encoded(release("a", 1, "deployed"))
    monkeypatch.setattr(kube, "list_objects", lambda *a, **k: [record])
    assert list(helmstore.deployed_releases(object(), kind="ConfigMap")) == ["ns/a"]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("driver", "kind"), [("", "Secret"), ("secrets", "Secret"), ("configmap", "ConfigMap")]
)
def test_storage_kind_follows_helm_driver(driver: str, kind: str) -> None:
    assert helmstore.storage_kind({"HELM_DRIVER": driver}) == kind
    assert helmstore.storage_kind({}) == "Secret"


@pytest.mark.parametrize("driver", ["sql", "memory", "Secret"])
def test_a_driver_kbp_cannot_read_is_named(driver: str) -> None:
    with pytest.raises(
        ToolError, match=f"HELM_DRIVER={driver}: kbp reads Helm's releases from Secrets or ConfigMaps"
    ):
        helmstore.storage_kind({"HELM_DRIVER": driver})


def test_computed_values_put_the_releases_own_over_the_charts() -> None:
    doc: dict[str, Any] = {
        "chart": {"values": {"replicas": 2, "image": {"tag": "1", "pull": "IfNotPresent"}, "greeting": "hi"}},
        "config": {"image": {"tag": "2"}, "greeting": None, "extra": {"a": 1}},
    }
    assert helmstore.computed_values(doc) == {
        "replicas": 2,
        "image": {"tag": "2", "pull": "IfNotPresent"},
        "extra": {"a": 1},
    }
    assert doc["chart"]["values"]["image"]["tag"] == "1"  # the record is not changed


def test_computed_values_of_a_release_without_values() -> None:
    assert helmstore.computed_values({"chart": {"values": None}, "config": None}) == {}
    assert helmstore.computed_values({"chart": {}, "config": {"a": [1]}}) == {"a": [1]}
