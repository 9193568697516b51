"""Where a local cluster keeps its state: one directory, so `down` works from any process."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

STATE_ENV = "KBP_STATE"
DEFAULT_STATE = ".kbp"
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")  # a DNS label, as a cluster name in a fleet


@dataclass(frozen=True)
class Layout:
    """Paths inside a cluster's state directory (pid files, logs, PKI, etcd data, kubeconfigs)."""

    root: Path

    @classmethod
    def default(cls) -> Layout:
        """`$KBP_STATE/cluster`, with `.kbp` in the working directory when the variable is unset."""
        return cls.at(Path(os.environ.get(STATE_ENV, DEFAULT_STATE)) / "cluster")

    @classmethod
    def named(cls, name: str) -> Layout:
        """`$KBP_STATE/clusters/NAME`: one of several clusters side by side (a local fleet)."""
        if not _NAME.match(name):
            raise ValueError(f'cluster name "{name}" is not a DNS label (lowercase letters, digits, -)')
        return cls.at(Path(os.environ.get(STATE_ENV, DEFAULT_STATE)) / "clusters" / name)

    @classmethod
    def at(cls, root: Path) -> Layout:
        return cls(root.expanduser().absolute())

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def etcd_data(self) -> Path:
        return self.root / "etcd"

    @property
    def record(self) -> Path:
        """The JSON record of ports and binaries, written before the first process starts."""
        return self.root / "cluster.json"

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig handed to people and tests."""
        return self.root / "admin.kubeconfig"

    @property
    def node_id(self) -> str:
        """A short id of this state directory: names the real node's netns, cgroup and run dir."""
        return hashlib.sha256(str(self.root).encode()).hexdigest()[:8]

    @property
    def node(self) -> Path:
        """The real node's disk state: containerd's root, kubelet's root, configs, pod logs."""
        return self.root / "node"

    @property
    def node_run(self) -> Path:
        """The real node's sockets and runtime state: short, since a unix socket path has 108 bytes."""
        return Path("/run/kbp") / self.node_id

    @property
    def containerd_socket(self) -> Path:
        return self.node_run / "containerd.sock"

    @property
    def authentication_config(self) -> Path:
        """The API server's AuthenticationConfiguration (OIDC issuers); kept across `down` and `up`."""
        return self.root / "authentication.yaml"

    def log(self, component: str) -> Path:
        return self.logs / f"{component}.log"

    def pid(self, component: str) -> Path:
        return self.run / f"{component}.pid"

    def cert(self, name: str) -> Path:
        return self.pki / f"{name}.crt"

    def key(self, name: str) -> Path:
        return self.pki / f"{name}.key"

    def component_kubeconfig(self, name: str) -> Path:
        return self.pki / f"{name}.kubeconfig"
