"""The real node's configuration files as data: containerd, CNI, kubelet, kube-proxy.

Pure builders; `kbp.cluster.node.launcher` writes them and starts the processes.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kbp.cluster.components import POD_CIDR, SERVICE_CIDR
from kbp.cluster.layout import Layout

NODE_NAME = "kbp-node"
# The node's pods get addresses from the top of the pod CIDR, far from kwok's fake pod IPs.
NODE_POD_SUBNET = "10.244.254.0/24"
BRIDGE = "kbp0"
CLUSTER_DNS = "10.96.0.10"  # the kube-dns Service; inside SERVICE_CIDR
CLUSTER_DOMAIN = "cluster.local"
SANDBOX_IMAGE = "registry.k8s.io/pause:3.10.2"  # containerd 2.4's default; `up` loads one built here
RUNC = "/usr/sbin/runc"
CNI_BIN = "/usr/lib/cni"
# Every address inside the node's network namespace (veth, bridge, loopback): it has no route out.
ALL_IN_NETNS = "0.0.0.0"  # noqa: S104
# Listeners inside the node's network namespace, reached from the host through the veth.
KUBELET_PORT = 10250
KUBELET_HEALTHZ_PORT = 10248
KUBE_PROXY_HEALTHZ_PORT = 10256
# Directories that kubelet, containerd and the CNI plugins write outside their configured roots;
# each is a tmpfs private to the node's mount namespace.
PRIVATE_DIRS = ("/run/containerd", "/var/lib/cni", "/var/log/containers", "/run/nri")


@dataclass(frozen=True)
class NodePaths:
    """Where the node's files live (all under the cluster's state directory or /run/kbp/<id>)."""

    layout: Layout

    @property
    def containerd_config(self) -> Path:
        return self.layout.node / "containerd.toml"

    @property
    def volumes(self) -> Path:
        """The node's PersistentVolumes, one directory each (kbp.cluster.node.volumes)."""
        return self.layout.node / "volumes"

    @property
    def containerd_root(self) -> Path:
        return self.layout.node / "containerd"

    @property
    def containerd_state(self) -> Path:
        return self.layout.node_run / "containerd"

    @property
    def cni_conf_dir(self) -> Path:
        return self.layout.node / "cni"

    @property
    def cni_ipam(self) -> Path:
        return self.layout.node / "cni-ipam"

    @property
    def kubelet_disk(self) -> Path:
        """Where kubelet's root (volumes, plugins, checkpoints) is stored, under the state dir."""
        return self.layout.node / "kubelet"

    @property
    def kubelet_root(self) -> Path:
        """kubelet_disk as kubelet sees it: bind-mounted at a short path inside the node's mount
        namespace, since kubelet binds unix sockets under its root and a long state dir (a deep
        pytest tmp dir, say) would pass the 108-byte limit."""
        return self.layout.node_run / "kubelet"

    @property
    def kubelet_config(self) -> Path:
        return self.layout.node / "kubelet.yaml"

    @property
    def kube_proxy_config(self) -> Path:
        return self.layout.node / "kube-proxy.yaml"

    @property
    def resolv_conf(self) -> Path:
        return self.layout.node / "resolv.conf"

    @property
    def pod_logs(self) -> Path:
        return self.layout.node / "pod-logs"


def containerd_toml(paths: NodePaths) -> str:
    """containerd 2.x (config version 3): own root, state and socket; runc; the CNI bridge."""
    cri_runtime = "io.containerd.cri.v1.runtime"
    runc = {
        "runtime_type": "io.containerd.runc.v2",
        "options": {"BinaryName": RUNC, "SystemdCgroup": False},
    }
    doc: dict[str, Any] = {
        "version": 3,
        "root": str(paths.containerd_root),
        "state": str(paths.containerd_state),
        "grpc": {"address": str(paths.layout.containerd_socket)},
        # NRI would listen on /var/run/nri; nothing here uses it.
        "disabled_plugins": ["io.containerd.nri.v1.nri"],
        "plugins": {
            "io.containerd.internal.v1.opt": {"path": str(paths.layout.node / "opt")},
            cri_runtime: {
                # This sandbox lacks CAP_SYS_RESOURCE: no process may lower its oom_score_adj,
                # and kubelet asks -998 for the pause container.
                "restrict_oom_score_adj": True,
                "netns_mounts_under_state_dir": True,
                "enable_selinux": False,
                "containerd": {"default_runtime_name": "runc", "runtimes": {"runc": runc}},
                "cni": {"bin_dirs": [CNI_BIN], "conf_dir": str(paths.cni_conf_dir), "max_conf_num": 1},
            },
            "io.containerd.cri.v1.images": {
                "snapshotter": "overlayfs",
                "pinned_images": {"sandbox": SANDBOX_IMAGE},
            },
            "io.containerd.grpc.v1.cri": {"stream_server_address": "127.0.0.1", "stream_server_port": "0"},
        },
    }
    return _toml(doc)


def _toml(doc: dict[str, Any], prefix: str = "") -> str:
    """Just enough TOML for the document above: scalars, lists of scalars, nested tables."""
    scalars = {k: v for k, v in doc.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in doc.items() if isinstance(v, dict)}
    lines = [f"{key} = {json.dumps(value)}" for key, value in scalars.items()]
    out = "\n".join(lines) + ("\n" if lines else "")
    for key, table in tables.items():
        name = f"{prefix}.{_key(key)}" if prefix else _key(key)
        body = _toml(table, name)
        out += f"\n[{name}]\n{body}" if any(not isinstance(v, dict) for v in table.values()) else body
    return out


def _key(key: str) -> str:
    return json.dumps(key) if "." in key else key


def cni_conflist(paths: NodePaths) -> str:
    """One bridge with host-local addresses; kube-proxy's iptables rules do Service routing."""
    bridge = {
        "type": "bridge",
        "bridge": BRIDGE,
        "isGateway": True,
        "ipMasq": False,  # nowhere to masquerade to: the namespace has no route out
        "hairpinMode": True,  # a pod reaching itself through its Service
        "ipam": {
            "type": "host-local",
            "ranges": [[{"subnet": NODE_POD_SUBNET}]],
            "routes": [{"dst": "0.0.0.0/0"}],
            "dataDir": str(paths.cni_ipam),
        },
    }
    doc = {
        "cniVersion": "1.0.0",
        "name": "kbp",
        "plugins": [bridge, {"type": "portmap", "capabilities": {"portMappings": True}}],
    }
    return json.dumps(doc, indent=2) + "\n"


def kubelet_yaml(paths: NodePaths, cgroup_root: str, ca: Path) -> str:
    """kubelet on cgroup v1 with the cgroupfs driver, authenticating the apiserver by client cert."""
    doc = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "failCgroupV1": False,  # 1.35+ refuses cgroup v1 unless told; the v1 code is still in 1.37
        "cgroupDriver": "cgroupfs",
        "cgroupRoot": cgroup_root,
        "containerRuntimeEndpoint": f"unix://{paths.layout.containerd_socket}",
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(ca)},
        },
        "authorization": {"mode": "Webhook"},
        "clusterDNS": [CLUSTER_DNS],
        "clusterDomain": CLUSTER_DOMAIN,
        "resolvConf": str(paths.resolv_conf),
        "address": ALL_IN_NETNS,  # inside the node's namespace: the veth and the bridge
        "port": KUBELET_PORT,
        "readOnlyPort": 0,
        "healthzBindAddress": ALL_IN_NETNS,
        "healthzPort": KUBELET_HEALTHZ_PORT,
        "podLogsDir": str(paths.pod_logs),
        "failSwapOn": False,
        # A shared test machine: no evictions for its disk, and imported images are never collected
        # (there is no registry to pull them back from).
        "evictionHard": {},
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "serializeImagePulls": False,
        "registerWithTaints": [],
        "maxPods": 110,
        "nodeStatusReportFrequency": "10s",
        "syncFrequency": "10s",
    }
    return yaml.safe_dump(doc, sort_keys=False)


def kube_proxy_yaml(kubeconfig: Path) -> str:
    """iptables mode (this kernel has no IPVS); no conntrack sysctls, which a netns cannot set."""
    doc = {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "clientConnection": {"kubeconfig": str(kubeconfig)},
        "mode": "iptables",
        "clusterCIDR": POD_CIDR,
        "hostnameOverride": NODE_NAME,
        "bindAddress": ALL_IN_NETNS,
        "healthzBindAddress": f"{ALL_IN_NETNS}:{KUBE_PROXY_HEALTHZ_PORT}",
        "metricsBindAddress": "127.0.0.1:10249",
        "conntrack": {"maxPerCore": 0, "min": 0, "tcpEstablishedTimeout": "0s", "tcpCloseWaitTimeout": "0s"},
        "iptables": {"localhostNodePorts": False},
    }
    return yaml.safe_dump(doc, sort_keys=False)


def holder_script(paths: NodePaths) -> str:
    """The mount namespace's first process: private tmpfs over PRIVATE_DIRS and kubelet's root
    at its short path, then sleep forever.

    Started under `unshare --mount --propagation slave`: the host's mounts reach the node, the
    node's never reach the host; rshared inside, so kubelet's volume mounts reach containerd.
    """
    mounts = "; ".join(f"mkdir -p {d} && mount -t tmpfs -o mode=0755 kbp-node {d}" for d in PRIVATE_DIRS)
    disk, root = shlex.quote(str(paths.kubelet_disk)), shlex.quote(str(paths.kubelet_root))
    bind = f"mkdir -p {root} && mount --bind {disk} {root}"
    return f"set -e; {mounts}; {bind}; mount --make-rshared /; exec sleep infinity"


def resolv_conf() -> str:
    # Pods' upstream resolvers: none (ClusterFirst pods get CLUSTER_DNS from kubelet).
    return "options ndots:5\n"


SERVICE_RANGE = SERVICE_CIDR
