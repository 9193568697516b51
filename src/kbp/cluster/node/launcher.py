"""Start and stop the real node: namespaces, cgroups, containerd, kubelet, kube-proxy, volumes.

Order: a network namespace with a veth; a cgroup root; a mount-namespace holder; the apiserver
relay; containerd (+ the pause and CoreDNS images); the node's API objects (CoreDNS's Deployment
among them, kbp.cluster.node.dns); kubelet; kube-proxy; the volume provisioner. Every
process joins `<cgroup root>/system` before it execs, so `stop` finds everything the node ever ran (shims and
pod processes included) in its cgroups, kills it, and then removes cgroups, mounts and the
namespace. `stop` works from the record alone, so it also cleans up after a crashed `up`.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import sys
from pathlib import Path

from kbp import kube
from kbp.cluster import processes
from kbp.cluster.components import Component
from kbp.cluster.layout import Layout
from kbp.cluster.node import cgroups, config, dns, dnshealth, images, mounts, network, objects, preflight
from kbp.cluster.readiness import NotReadyError, http_ok, wait
from kbp.cluster.record import Cluster, RealNode
from kbp.goenv import go_env

ORDER = ("node-holder", "node-relay", "containerd", "kubelet", "kube-proxy", "node-volumes")
NODE_LABEL = "kbp.dev/real-node"


class NodeError(Exception):
    """The machine cannot run a real node; nothing was started."""


def plan(layout: Layout, bin_dir: Path) -> RealNode:
    """Where the node will live (netns, addresses, cgroup root), or NodeError naming what is missing."""
    proc_cgroup = Path("/proc/self/cgroup").read_text()
    used = network.used_addresses()
    link = network.link_for(layout.node_id)
    for offset in range(1, 64):
        if link.host_ip not in used and link.node_ip not in used:
            break
        link = network.link_for(layout.node_id, offset)
    found = preflight.problems(layout, bin_dir, link, proc_cgroup)
    if found:
        raise NodeError("cannot start a real node:\n- " + "\n- ".join(found))
    return RealNode(
        name=config.NODE_NAME,
        netns=link.netns,
        ip=link.node_ip,
        host_ip=link.host_ip,
        containerd_socket=layout.containerd_socket,
        bin_dir=bin_dir,
        cgroup_root=cgroups.root_for(cgroups.own_paths(proc_cgroup), layout.node_id),
        pod_logs=config.NodePaths(layout).pod_logs,
    )


def _link(node: RealNode) -> network.Link:
    return network.Link(node.netns, f"kbp{node.netns.removeprefix('kbp-')}", node.host_ip, node.ip)


def _made_file(layout: Layout) -> Path:
    return layout.node / "cgroups-made.json"


def start(cluster: Cluster, deadline: float) -> None:
    """Bring the planned node (cluster.node) up and wait until the Node is Ready."""
    node = cluster.node
    assert node is not None
    layout = cluster.layout
    paths = config.NodePaths(layout)
    _write_configs(cluster, paths)
    network.create(_link(node))
    hier = cgroups.hierarchies()
    made = cgroups.create(node.cgroup_root, hier)
    _made_file(layout).write_text(json.dumps([str(d) for d in made]))
    join = ("/bin/sh", "-c", cgroups.join_argv(node.cgroup_root, hier), "kbp-node")

    holder_argv = (*join, "nsenter", f"--net={node.netns_path}", "--", "unshare", "--mount",
                   "--propagation", "slave", "--", "/bin/sh", "-c", config.holder_script(paths))  # fmt: skip
    holder = processes.spawn(Component("node-holder", holder_argv, "", tls=False), layout)
    wait(holder, lambda: _comm(holder.pid) == "sleep", "the node's mount namespace", deadline)
    inside = ("nsenter", f"--target={holder.pid}", "--mount", "--net", "--")

    port = cluster.ports.apiserver
    relay_argv = (*join, sys.executable, "-m", "kbp.cluster.node.relay", str(node.netns_path), str(port))
    relay = processes.spawn(Component("node-relay", relay_argv, "", tls=False), layout)
    wait(relay, lambda: _tcp_open(node.ip, port), "the apiserver relay", deadline)

    bins = node.bin_dir
    containerd_argv = (*join, *inside, str(bins / "containerd"), f"--config={paths.containerd_config}")
    containerd = processes.spawn(Component("containerd", containerd_argv, "", tls=False), layout, go_env())
    wait(containerd, lambda: _unix_open(node.containerd_socket), "containerd's socket", deadline)
    images.load_binary(node, layout.node / "images", "pause", config.SANDBOX_IMAGE)
    images.load_binary(node, layout.node / "images", "coredns", dns.IMAGE)

    with kube.connect(cluster.kubeconfig) as client:
        for obj in [*objects.all_objects(node.ip, port), *dns.all_objects({NODE_LABEL: "true"})]:
            kube.apply(client, obj)
    kubelet_argv = (
        *join, *inside, str(bins / "kubelet"),
        f"--config={paths.kubelet_config}",
        f"--kubeconfig={layout.component_kubeconfig('kubelet')}",
        f"--root-dir={paths.kubelet_root}",
        f"--cert-dir={paths.kubelet_root / 'pki'}",
        f"--node-ip={node.ip}",
        f"--hostname-override={node.name}",
        f"--node-labels={NODE_LABEL}=true",
    )  # fmt: skip
    kubelet = processes.spawn(Component("kubelet", kubelet_argv, "", tls=False), layout, go_env())
    healthz = f"http://{node.ip}:{config.KUBELET_HEALTHZ_PORT}/healthz"
    wait(kubelet, lambda: http_ok(healthz, None), "kubelet's healthz", deadline)
    proxy_argv = (*join, *inside, str(bins / "kube-proxy"), f"--config={paths.kube_proxy_config}")
    proxy = processes.spawn(Component("kube-proxy", proxy_argv, "", tls=False), layout, go_env())
    # In the host's namespaces (the apiserver on loopback), in the node's cgroups (so `down` stops it).
    ready = layout.node_run / "volumes.ready"
    volumes_kubeconfig = str(layout.component_kubeconfig("node-volumes"))
    volumes_argv = (*join, sys.executable, "-m", "kbp.cluster.node.volumes",
                    volumes_kubeconfig, str(paths.volumes), node.name, str(ready))  # fmt: skip
    provisioner = processes.spawn(Component("node-volumes", volumes_argv, "", tls=False), layout)
    with kube.connect(cluster.kubeconfig) as client:
        wait(kubelet, lambda: _node_ready(client, node.name), f"node {node.name} Ready", deadline)
    wait(proxy, lambda: http_ok(f"http://{node.ip}:{config.KUBE_PROXY_HEALTHZ_PORT}/healthz", None),
         "kube-proxy's healthz", deadline)  # fmt: skip
    # A name answered through the kube-dns Service: kube-proxy's rules, the CoreDNS pod Ready.
    try:
        wait(
            proxy, lambda: dnshealth.answers(node), "cluster DNS (the CoreDNS pod behind kube-dns)", deadline
        )
    except NotReadyError as exc:
        account = f"{exc}\n{dnshealth.describe_pods(cluster)}"
        raise NotReadyError(exc.component, account, timed_out=exc.timed_out) from exc
    wait(provisioner, ready.exists, "the volume provisioner's first pass", deadline)


def _write_configs(cluster: Cluster, paths: config.NodePaths) -> None:
    layout = cluster.layout
    for d in (paths.cni_conf_dir, paths.cni_ipam, paths.kubelet_disk, paths.pod_logs, paths.containerd_root):
        d.mkdir(parents=True, exist_ok=True)
    layout.node_run.mkdir(parents=True, exist_ok=True, mode=0o700)
    assert cluster.node is not None
    files = {
        paths.containerd_config: config.containerd_toml(paths),
        paths.cni_conf_dir / "10-kbp.conflist": config.cni_conflist(paths),
        paths.kubelet_config: config.kubelet_yaml(paths, cluster.node.cgroup_root, cluster.ca),
        paths.kube_proxy_config: config.kube_proxy_yaml(layout.component_kubeconfig("kube-proxy")),
        paths.resolv_conf: config.resolv_conf(),
    }
    for path, text in files.items():
        path.write_text(text)


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _tcp_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _unix_open(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as sock:
        try:
            sock.connect(str(path))
        except OSError:
            return False
    return True


def _node_ready(client: kube.KubeClient, name: str) -> bool:
    found = kube.find(client, "v1", "Node", name)
    return found is not None and kube.condition(found, "Ready") == "True"


def stop(cluster: Cluster) -> list[str]:
    """Stop everything the node runs and remove what it made (idempotent); return the errors."""
    node = cluster.node
    if node is None:
        return []
    layout = cluster.layout
    errors = processes.stop_all(layout, ORDER)
    hier = cgroups.hierarchies()
    left = cgroups.kill_all(node.cgroup_root, hier)
    if left:
        errors.append(f"processes under {node.cgroup_root} survived SIGKILL: {sorted(left)}")
    # The mount namespace takes the node's mounts with it; anything here got out some other way.
    errors += mounts.unmount_all(layout.node, layout.node_run)
    try:
        made = [Path(p) for p in json.loads(_made_file(layout).read_text())]
    except (OSError, ValueError):
        made = []
    errors += cgroups.remove(node.cgroup_root, hier, made)
    errors += network.delete(_link(node))
    shutil.rmtree(layout.node_run, ignore_errors=True)
    with contextlib.suppress(OSError):
        layout.node_run.parent.rmdir()  # /run/kbp, unless another node uses it
    if not errors:
        shutil.rmtree(layout.node, ignore_errors=True)
    return errors
