"""What a machine needs before a real node starts; every problem named, nothing started yet."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

from kbp.cluster.layout import Layout
from kbp.cluster.node import cgroups, network
from kbp.cluster.node.config import CNI_BIN, RUNC

NODE_BINS = (
    "kubelet",
    "kube-proxy",
    "containerd",
    "containerd-shim-runc-v2",
    "ctr",
    "crictl",
    "coredns",
    "pause",
)
COMMANDS = ("ip", "nsenter", "unshare", "iptables", "mount", "sysctl")
CNI_PLUGINS = ("bridge", "host-local", "loopback", "portmap")
# inotify instances a node takes (kubelet, containerd's CRI, kube-proxy, CoreDNS, with headroom).
# Without them containerd's CRI plugin or kubelet fails at start with "too many open files".
NODE_INOTIFY_INSTANCES = 32


def inotify_shortfall(limit: int, in_use: int) -> str | None:
    """Why the node would run out of inotify instances, with the fix; None when enough are free."""
    if limit - in_use >= NODE_INOTIFY_INSTANCES:
        return None
    return (
        f"fs.inotify.max_user_instances is {limit} with {in_use} in use; a real node needs "
        f"{NODE_INOTIFY_INSTANCES} free: `sysctl -w fs.inotify.max_user_instances=1024`"
    )


def inotify_in_use() -> int:
    """inotify instances open on this machine (an upper bound for this user's)."""
    count = 0
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            fds = list(fd_dir.iterdir())
        except OSError:
            continue  # gone, or not ours to read
        for fd in fds:
            with contextlib.suppress(OSError):
                count += os.readlink(fd) == "anon_inode:inotify"
    return count


def problems(layout: Layout, bin_dir: Path, link: network.Link, proc_cgroup: str) -> list[str]:
    """Everything that would stop the node; empty when it can start."""
    found: list[str] = []
    if os.geteuid() != 0:
        found.append("not root: a real node needs root (network and mount namespaces, cgroups, iptables)")
    missing = [b for b in NODE_BINS if not (bin_dir / b).is_file()]
    if missing:
        found.append(f"{bin_dir} lacks {', '.join(missing)}; run `make controlplane`")
    tools = [c for c in COMMANDS if shutil.which(c) is None]
    if not Path(RUNC).is_file():
        tools.append(RUNC)
    tools += [f"{CNI_BIN}/{p}" for p in CNI_PLUGINS if not Path(CNI_BIN, p).is_file()]
    if tools:
        found.append(f"missing {', '.join(tools)}; run `bash scripts/install-system-deps.sh`")
    try:
        cgroups.check_v1(cgroups.own_paths(proc_cgroup), cgroups.mounted())
    except cgroups.CgroupError as exc:
        found.append(str(exc))
    limit = int(Path("/proc/sys/fs/inotify/max_user_instances").read_text())
    shortfall = inotify_shortfall(limit, inotify_in_use())
    if shortfall:
        found.append(shortfall)
    left = f"a node of {layout.root} runs or was left behind; run `kbp cluster down`"
    if network.netns_exists(link.netns):
        found.append(f"network namespace {link.netns} exists: {left}")
    if Path(f"/sys/class/net/{link.host_if}").exists():
        found.append(f"network link {link.host_if} exists: {left}")
    if layout.node_run.exists():
        found.append(f"{layout.node_run} exists: {left}")
    return found
