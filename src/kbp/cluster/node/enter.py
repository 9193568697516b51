"""Running a command as the node's daemons run: in its cgroup root, mount and network namespaces,
so that `kbp cluster down` stops it and removes what it made (test support runs kube-router so)."""

from __future__ import annotations

from kbp.cluster import processes
from kbp.cluster.layout import Layout
from kbp.cluster.node import cgroups
from kbp.cluster.record import RealNode


class NotRunningError(Exception):
    """The node has no mount namespace holder: it is not running."""


def argv(node: RealNode, layout: Layout) -> tuple[str, ...]:
    """The argv prefix that runs a command inside the node."""
    holder = processes.read_handle(layout, "node-holder")
    if holder is None:
        raise NotRunningError(f"the node of {layout.root} has no mount namespace holder; is it running?")
    join = ("/bin/sh", "-c", cgroups.join_argv(node.cgroup_root, cgroups.hierarchies()), "kbp-node")
    return (*join, "nsenter", f"--target={holder.pid}", "--mount", "--net", "--")
