"""The record of a started cluster (ports, binaries, the real node), saved in its state directory as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kbp.cluster.components import Ports, Spec
from kbp.cluster.layout import Layout

CONTAINERD_NAMESPACE = "k8s.io"  # the namespace the CRI plugin, and so kubelet, sees images in


@dataclass(frozen=True)
class RealNode:
    """A real node (kubelet, containerd, kube-proxy, CoreDNS) beside the kwok ones (`--real-node`).

    What other tools use it by:

    - **Images.** No registry: load a docker-archive into containerd, under the tag the pod names,
      and use `imagePullPolicy: IfNotPresent` or `Never`:
      `subprocess.run(node.ctr("images", "import", "app.tar"))`, i.e.
      `ctr --address <containerd_socket> --namespace k8s.io images import app.tar`. The socket is
      on the host's filesystem, so this needs no namespace. The sandbox image
      (`registry.k8s.io/pause:3.10.2`) is loaded by `up`.
    - **The node's network.** Pods (kube-dns's CoreDNS pod among them), ClusterIPs and the node's
      own listeners (kubelet 10250) live in the network namespace `/run/netns/<netns>`, which has
      no route out.
      `node.in_network("curl", url)` is the argv that runs a command there. The host reaches
      only the node's `ip` (through a veth from `host_ip`), not pod or Service IPs.
    - **The node's files.** kubelet and containerd also run in a mount namespace of their own,
      so their mounts vanish with it; `/var/log/containers` is private to it. Pod logs are on the
      host at `pod_logs` (`<namespace>_<pod>_<uid>/<container>/0.log`).
    - **Cgroups.** Everything the node runs lives under `cgroup_root` in every cgroup v1 hierarchy.
    """

    name: str  # the Node object
    netns: str  # /run/netns/<netns>
    ip: str  # the node's InternalIP, inside netns
    host_ip: str  # the host end of the veth
    containerd_socket: Path
    bin_dir: Path  # ctr, crictl, containerd, kubelet, ...
    cgroup_root: str  # kubelet's cgroupRoot, the same path in every hierarchy
    pod_logs: Path
    namespace: str = CONTAINERD_NAMESPACE

    @property
    def netns_path(self) -> Path:
        return Path("/run/netns") / self.netns

    def in_network(self, *argv: str) -> list[str]:
        """The argv that runs `argv` inside the node's network namespace."""
        return ["nsenter", f"--net={self.netns_path}", "--", *argv]

    def ctr(self, *args: str) -> list[str]:
        """The argv of containerd's `ctr` against this node, in the CRI's namespace."""
        sock = str(self.containerd_socket)
        return [str(self.bin_dir / "ctr"), "--address", sock, "--namespace", self.namespace, *args]

    def crictl(self, *args: str) -> list[str]:
        """The argv of `crictl` against this node's CRI (pods, containers, images as kubelet sees them)."""
        endpoint = f"unix://{self.containerd_socket}"
        crictl = str(self.bin_dir / "crictl")
        return [crictl, "--runtime-endpoint", endpoint, "--image-endpoint", endpoint, *args]

    def to_json(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> RealNode:
        return cls(
            name=doc["name"],
            netns=doc["netns"],
            ip=doc["ip"],
            host_ip=doc["host_ip"],
            containerd_socket=Path(doc["containerd_socket"]),
            bin_dir=Path(doc["bin_dir"]),
            cgroup_root=doc["cgroup_root"],
            pod_logs=Path(doc["pod_logs"]),
            namespace=doc.get("namespace", CONTAINERD_NAMESPACE),
        )


@dataclass(frozen=True)
class Cluster:
    """What callers need to use a running cluster: server URL, kubeconfig, CA, binaries, the real node."""

    layout: Layout
    bin_dir: Path
    ports: Ports
    node: RealNode | None = None  # set by `up(real_node=True)`

    @property
    def spec(self) -> Spec:
        return Spec(self.bin_dir, self.layout, self.ports)

    @property
    def server(self) -> str:
        return self.spec.server

    @property
    def kubeconfig(self) -> Path:
        return self.layout.kubeconfig

    @property
    def ca(self) -> Path:
        return self.layout.cert("ca")

    def save(self) -> None:
        doc: dict[str, Any] = {"bin_dir": str(self.bin_dir), "ports": asdict(self.ports)}
        if self.node is not None:
            doc["node"] = self.node.to_json()
        self.layout.root.mkdir(parents=True, exist_ok=True)
        self.layout.record.write_text(json.dumps(doc, indent=2) + "\n")

    @classmethod
    def load(cls, layout: Layout) -> Cluster | None:
        """The saved record, or None when the directory holds no (readable) cluster."""
        try:
            doc = json.loads(layout.record.read_text())
            node = RealNode.from_json(doc["node"]) if doc.get("node") else None
            return cls(layout, Path(doc["bin_dir"]), Ports(**doc["ports"]), node)
        except (FileNotFoundError, KeyError, TypeError, ValueError):
            return None
