"""The real node's configuration as data: files its daemons accept, and names that do not clash."""

from __future__ import annotations

import ipaddress
import json
import tomllib
from pathlib import Path

import pytest
import yaml

from kbp.cluster.components import POD_CIDR, SERVICE_CIDR
from kbp.cluster.layout import Layout
from kbp.cluster.node import cgroups, config, network, preflight

HYBRID = "9:name=systemd:/\n4:memory:/sandbox/abc\n3:cpuset:/\n1:cpu:/\n0::/\n"


def _paths(tmp_path: Path) -> config.NodePaths:
    return config.NodePaths(Layout.at(tmp_path))


def test_containerd_config_parses_and_keeps_every_path_of_its_own(tmp_path: Path) -> None:
    paths = _paths(tmp_path)
    doc = tomllib.loads(config.containerd_toml(paths))
    assert doc["version"] == 3
    assert doc["grpc"]["address"] == str(paths.layout.containerd_socket)
    runtime = doc["plugins"]["io.containerd.cri.v1.runtime"]
    assert runtime["restrict_oom_score_adj"] is True  # no CAP_SYS_RESOURCE in this sandbox
    assert runtime["netns_mounts_under_state_dir"] is True
    assert runtime["containerd"]["runtimes"]["runc"]["options"]["BinaryName"] == config.RUNC
    assert doc["plugins"]["io.containerd.cri.v1.images"]["pinned_images"]["sandbox"] == config.SANDBOX_IMAGE
    assert str(doc["root"]).startswith(str(tmp_path))


def test_kubelet_config_allows_cgroup_v1_and_names_cluster_dns(tmp_path: Path) -> None:
    doc = yaml.safe_load(config.kubelet_yaml(_paths(tmp_path), "/sandbox/abc/kbp-1", tmp_path / "ca.crt"))
    assert doc["failCgroupV1"] is False
    assert doc["cgroupRoot"] == "/sandbox/abc/kbp-1"
    assert doc["clusterDNS"] == [config.CLUSTER_DNS]
    assert doc["authentication"]["anonymous"]["enabled"] is False


def test_the_pod_subnet_is_inside_the_pod_cidr_and_dns_inside_the_service_cidr(tmp_path: Path) -> None:
    bridge = json.loads(config.cni_conflist(_paths(tmp_path)))["plugins"][0]
    subnet = ipaddress.ip_network(bridge["ipam"]["ranges"][0][0]["subnet"])
    assert subnet.subnet_of(ipaddress.ip_network(POD_CIDR))  # type: ignore[arg-type]
    assert ipaddress.ip_address(config.CLUSTER_DNS) in ipaddress.ip_network(SERVICE_CIDR)


def test_two_state_directories_get_different_links_and_a_clash_steps_aside() -> None:
    a, b = network.link_for("0000abcd"), network.link_for("0000abce")
    assert a.netns != b.netns
    assert a.host_if != b.host_if
    assert {a.host_ip, a.node_ip}.isdisjoint({b.host_ip, b.node_ip})
    assert network.link_for("0000abcd", 1).node_ip == b.node_ip
    assert len(a.host_if) <= 15  # IFNAMSIZ


def test_the_cgroup_root_nests_under_our_memory_cgroup_and_skips_the_unified_line() -> None:
    own = cgroups.own_paths(HYBRID)
    assert own == {"systemd": "/", "memory": "/sandbox/abc", "cpuset": "/", "cpu": "/"}
    assert cgroups.root_for(own, "1234") == "/sandbox/abc/kbp-1234"


def test_a_unified_only_host_is_refused_with_a_reason() -> None:
    with pytest.raises(cgroups.CgroupError, match="cgroup v2 only"):
        cgroups.check_v1(cgroups.own_paths("0::/\n"), set())
    with pytest.raises(cgroups.CgroupError, match="pids"):
        cgroups.check_v1(
            cgroups.own_paths(HYBRID), {"memory", "cpu", "cpuacct", "cpuset", "devices", "freezer"}
        )


def test_kubelet_sockets_fit_a_unix_path_however_deep_the_state_directory(tmp_path: Path) -> None:
    # kubelet binds <root>/pod-resources/<10 digits>; a unix socket path has 108 bytes with its NUL.
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    paths = _paths(deep)
    assert len(str(paths.kubelet_root / "pod-resources" / "1647222357")) < 100
    script = config.holder_script(paths)
    assert f"mount --bind {paths.kubelet_disk} {paths.kubelet_root}" in script
    assert str(paths.kubelet_disk).startswith(str(deep))  # the data stays on disk, in the state dir


def test_too_few_free_inotify_instances_is_refused_with_the_sysctl_that_fixes_it() -> None:
    assert preflight.inotify_shortfall(1024, 98) is None
    refused = preflight.inotify_shortfall(128, 110)
    assert refused is not None
    assert "max_user_instances is 128 with 110 in use" in refused
    assert "sysctl -w fs.inotify.max_user_instances=" in refused
