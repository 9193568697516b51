"""Kubeconfigs, seed objects and the state layout: pure builders."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
import yaml

from kbp.cluster import kubeconfigs, objects
from kbp.cluster.components import KWOK_NODE_ANNOTATION
from kbp.cluster.layout import Layout


def test_embedded_kubeconfig_inlines_credentials() -> None:
    doc = kubeconfigs.embedded("https://127.0.0.1:1", b"CA", b"CERT", b"KEY", "admin")
    cluster = doc["clusters"][0]["cluster"]
    assert cluster["server"] == "https://127.0.0.1:1"
    assert base64.b64decode(cluster["certificate-authority-data"]) == b"CA"
    assert base64.b64decode(doc["users"][0]["user"]["client-key-data"]) == b"KEY"
    assert doc["current-context"] == doc["contexts"][0]["name"]


def test_kubeconfig_is_written_owner_only(tmp_path: Path) -> None:
    doc = kubeconfigs.by_path("https://x", tmp_path / "ca", tmp_path / "c", tmp_path / "k", "u")
    path = kubeconfigs.write(tmp_path / "kc", doc)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert yaml.safe_load(path.read_text()) == doc


def test_fake_nodes_are_kwok_managed_and_untainted() -> None:
    node = objects.fake_node(2)
    key, value = KWOK_NODE_ANNOTATION
    assert node["metadata"]["name"] == "kwok-node-2"
    assert node["metadata"]["annotations"][key] == value
    assert "taints" not in node.get("spec", {})


def test_fake_nodes_beside_a_real_node_repel_pods_that_do_not_tolerate_kwok() -> None:
    key, value = KWOK_NODE_ANNOTATION
    assert objects.fake_node(0, tainted=True)["spec"]["taints"] == [
        {"key": key, "value": value, "effect": "NoSchedule"}
    ]


def test_default_storage_class_is_marked_default() -> None:
    sc = objects.default_storage_class()
    assert sc["metadata"]["name"] == "standard"
    assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"


def test_layout_defaults_to_kbp_state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KBP_STATE", str(tmp_path))
    layout = Layout.default()
    assert layout.root == tmp_path / "cluster"
    assert layout.pid("etcd") == tmp_path / "cluster" / "run" / "etcd.pid"
    assert layout.kubeconfig.parent == layout.root
