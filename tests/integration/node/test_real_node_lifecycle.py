"""`kbp cluster up --real-node` and `down` on clusters of their own: nothing left, bad input refused."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kbp import kube
from kbp.cluster import binaries, launcher
from kbp.cluster.layout import Layout
from kbp.cluster.node import network, preflight
from kbp.cluster.record import Cluster
from support.controlplane import ControlPlane, leftovers, node_leftovers
from support.realnode import load_nodetest, namespace, ready_pod, server_pod


def _host_rules() -> str:
    """The host's iptables and ip6tables rules, without packet counters."""
    out = ""
    for tool in ("iptables-save", "ip6tables-save"):
        result = subprocess.run([tool], capture_output=True, text=True, check=True)
        out += "\n".join(
            line.split(" [")[0] if line.startswith(":") else line
            for line in result.stdout.splitlines()
            if not line.startswith("#")
        )
    return out


def test_down_leaves_no_process_mount_cgroup_netns_or_rule_behind(tmp_path: Path) -> None:
    rules = _host_rules()
    layout = Layout.at(tmp_path / "cluster")
    cluster = launcher.up(binaries.resolve(), layout, real_node=True)  # the product's default timeout
    node = cluster.node
    assert node is not None
    try:
        # A running pod: shim, pause and app processes, overlay and tmpfs mounts, a veth, rules.
        plane = ControlPlane(cluster, tmp_path / "tools")
        load_nodetest(plane, tmp_path)
        with plane.client() as client, namespace(client) as ns:
            kube.apply(client, server_pod("web", ns, {"app": "web"}))
            ready_pod(client, "web", ns)
            assert node_leftovers(node, layout)  # there is something to clean up
    finally:
        errors = launcher.down(layout)
    assert errors == []
    assert node_leftovers(node, layout) == []
    assert leftovers(layout) == []
    assert _host_rules() == rules


def test_a_network_namespace_in_use_is_named_and_nothing_starts(tmp_path: Path) -> None:
    layout = Layout.at(tmp_path / "cluster")
    taken = network.link_for(layout.node_id).netns
    subprocess.run(["ip", "netns", "add", taken], check=True)
    try:
        with pytest.raises(launcher.StartError, match=f"network namespace {taken} exists"):
            launcher.up(binaries.resolve(), layout, real_node=True)
        assert Cluster.load(layout) is None
        assert not any(row.alive for row in launcher.status(layout))
    finally:
        subprocess.run(["ip", "netns", "del", taken], check=True)


def test_a_user_who_is_not_root_is_told_so() -> None:
    # pytest's temp dirs and the build cache are root's alone: this user gets a directory it
    # can reach, with stand-ins for the binaries (the refusal comes before any is run). The
    # checkout may sit in a private (0700) directory too, so the user keeps only the right to
    # read files: it is still not root, which is what kbp checks.
    with tempfile.TemporaryDirectory(prefix="kbp-nonroot-") as tmp:
        root = Path(tmp)
        root.chmod(0o755)
        state, bins = root / "cluster", root / "bin"
        state.mkdir(mode=0o777)
        state.chmod(0o777)
        bins.mkdir()
        for name in (*binaries.REQUIRED, *preflight.NODE_BINS):
            (bins / name).touch()
        argv = [
            *("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
            *("--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"),
            *(sys.executable, "-m", "kbp", "cluster", "up", "--real-node"),
            *("--state-dir", str(state), "--bin-dir", str(bins)),
        ]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 1, result.stderr
        assert "not root: a real node needs root" in result.stderr
        assert not (state / "cluster.json").exists()
