"""The cluster record round-trips through its JSON file, with and without a real node."""

from __future__ import annotations

from pathlib import Path

from kbp.cluster.components import Ports
from kbp.cluster.layout import Layout
from kbp.cluster.record import Cluster, RealNode


def _node(layout: Layout) -> RealNode:
    return RealNode(
        name="kbp-node",
        netns=f"kbp-{layout.node_id}",
        ip="10.250.1.2",
        host_ip="10.250.1.1",
        containerd_socket=layout.containerd_socket,
        bin_dir=Path("/bins"),
        cgroup_root="/kbp-x",
        pod_logs=layout.node / "pod-logs",
    )


def test_a_kwok_only_record_loads_without_a_node(tmp_path: Path) -> None:
    layout = Layout.at(tmp_path)
    Cluster(layout, Path("/bins"), Ports(1, 2, 3, 4, 5, 6)).save()
    loaded = Cluster.load(layout)
    assert loaded is not None
    assert loaded.node is None


def test_the_real_node_survives_the_record(tmp_path: Path) -> None:
    layout = Layout.at(tmp_path)
    node = _node(layout)
    Cluster(layout, Path("/bins"), Ports(1, 2, 3, 4, 5, 6), node).save()
    loaded = Cluster.load(layout)
    assert loaded is not None
    assert loaded.node == node


def test_node_commands_name_the_socket_namespace_and_netns(tmp_path: Path) -> None:
    node = _node(Layout.at(tmp_path))
    assert node.ctr("images", "ls") == [
        "/bins/ctr", "--address", str(node.containerd_socket), "--namespace", "k8s.io", "images", "ls"
    ]  # fmt: skip
    assert node.in_network("ip", "addr") == ["nsenter", f"--net=/run/netns/{node.netns}", "--", "ip", "addr"]


def test_the_socket_path_fits_a_unix_socket_whatever_the_state_directory(tmp_path: Path) -> None:
    layout = Layout.at(tmp_path / ("deep" * 40))
    assert len(str(layout.containerd_socket)) < 100
    assert Layout.at(tmp_path / "a").node_id != Layout.at(tmp_path / "b").node_id
