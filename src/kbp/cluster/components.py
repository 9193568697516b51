"""Each control-plane component as data: binary, argv and health URL (the kwokctl pattern).

Pure functions only; nothing here starts a process or touches the network, so the argv can be
unit-tested and printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kbp.cluster.layout import Layout

LOCALHOST = "127.0.0.1"
SERVICE_CIDR = "10.96.0.0/16"
POD_CIDR = "10.244.0.0/16"
# kwok manages only nodes carrying this annotation, so it never fights a real kubelet.
KWOK_NODE_ANNOTATION = ("kwok.x-k8s.io/node", "fake")
HEALTH_PATHS = "/healthz,/readyz,/livez,/metrics"
START_ORDER = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
# Seconds a start gets in all (`kbp cluster up --timeout`). A quiet machine needs ~10 s; a shared,
# loaded one several times that (the CRDs' Established wait most of all). Only a hang should hit it:
# a component that dies fails the start at once.
START_TIMEOUT = 180.0


@dataclass(frozen=True)
class Ports:
    """Loopback ports, one per listener we start."""

    etcd_client: int
    etcd_peer: int
    apiserver: int
    controller_manager: int
    scheduler: int
    kwok: int

    def all(self) -> tuple[int, ...]:
        return (
            self.etcd_client,
            self.etcd_peer,
            self.apiserver,
            self.controller_manager,
            self.scheduler,
            self.kwok,
        )


@dataclass(frozen=True)
class Spec:
    """Everything the argv builders need: where binaries and state live, and the ports."""

    bin_dir: Path
    layout: Layout
    ports: Ports

    @property
    def server(self) -> str:
        return f"https://{LOCALHOST}:{self.ports.apiserver}"


@dataclass(frozen=True)
class Component:
    """One process to run: its argv, and the URL that answers 200 once it is ready."""

    name: str
    argv: tuple[str, ...]
    health_url: str
    # HTTPS health endpoints are verified against the cluster CA.
    tls: bool


def etcd(spec: Spec) -> Component:
    client = f"http://{LOCALHOST}:{spec.ports.etcd_client}"
    peer = f"http://{LOCALHOST}:{spec.ports.etcd_peer}"
    argv = (
        str(spec.bin_dir / "etcd"),
        "--name=kbp",
        f"--data-dir={spec.layout.etcd_data}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=kbp={peer}",
        "--unsafe-no-fsync=true",  # a throwaway test store: durability costs seconds on every write
        "--quota-backend-bytes=2147483648",
        "--log-level=warn",
    )
    return Component("etcd", argv, f"{client}/health", tls=False)


def apiserver(spec: Spec) -> Component:
    lay = spec.layout
    argv = (
        str(spec.bin_dir / "kube-apiserver"),
        f"--etcd-servers=http://{LOCALHOST}:{spec.ports.etcd_client}",
        f"--bind-address={LOCALHOST}",
        # Without it the apiserver looks for a default route and fails on an offline host.
        f"--advertise-address={LOCALHOST}",
        # 1.37 refuses a loopback advertise address with an endpoint reconciler; nothing runs
        # in pods here that would need the `kubernetes` Service's endpoints.
        "--endpoint-reconciler-type=none",
        f"--secure-port={spec.ports.apiserver}",
        f"--tls-cert-file={lay.cert('apiserver')}",
        f"--tls-private-key-file={lay.key('apiserver')}",
        f"--client-ca-file={lay.cert('ca')}",
        # OIDC issuers (`kbp auth oidc add`); the API server reloads the file when it changes.
        f"--authentication-config={lay.authentication_config}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        f"--service-account-key-file={lay.pki / 'sa.pub'}",
        f"--service-account-signing-key-file={lay.key('sa')}",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        *_aggregation(lay),
        # For a real node's logs, exec and port-forward; kwok's fake kubelet ignores it.
        f"--kubelet-client-certificate={lay.cert('kubelet-client')}",
        f"--kubelet-client-key={lay.key('kubelet-client')}",
        "--kubelet-preferred-address-types=InternalIP,Hostname",  # node names are not in any DNS
        "--authorization-mode=Node,RBAC",
        "--allow-privileged=true",
        "--profiling=false",
        "--enable-priority-and-fairness=false",  # saves CPU on a 2-core machine
    )
    return Component("kube-apiserver", argv, f"{spec.server}/readyz", tls=True)


def _aggregation(lay: Layout) -> tuple[str, ...]:
    # Also publishes the request-header CA that KCM and the scheduler expect in kube-system.
    return (
        f"--requestheader-client-ca-file={lay.cert('front-proxy-ca')}",
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        f"--proxy-client-cert-file={lay.cert('front-proxy-client')}",
        f"--proxy-client-key-file={lay.key('front-proxy-client')}",
    )


def _delegating(spec: Spec, name: str, port: int) -> tuple[str, ...]:
    # KCM and the scheduler share these: own identity, CA-signed serving cert, open health paths.
    kubeconfig = spec.layout.component_kubeconfig(name)
    return (
        f"--kubeconfig={kubeconfig}",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        f"--authorization-always-allow-paths={HEALTH_PATHS}",
        f"--client-ca-file={spec.layout.cert('ca')}",
        f"--bind-address={LOCALHOST}",
        f"--secure-port={port}",
        f"--tls-cert-file={spec.layout.cert(name + '-serving')}",
        f"--tls-private-key-file={spec.layout.key(name + '-serving')}",
        "--leader-elect=false",
        "--profiling=false",
    )


def controller_manager(spec: Spec) -> Component:
    lay = spec.layout
    port = spec.ports.controller_manager
    argv = (
        str(spec.bin_dir / "kube-controller-manager"),
        *_delegating(spec, "kube-controller-manager", port),
        "--controllers=*",
        # Signing with the client CA makes certificates issued through CSRs authenticate.
        f"--cluster-signing-cert-file={lay.cert('ca')}",
        f"--cluster-signing-key-file={lay.key('ca')}",
        f"--root-ca-file={lay.cert('ca')}",
        f"--service-account-private-key-file={lay.key('sa')}",
        # The bootstrap RBAC policy grants each controller's own service account, not KCM itself.
        "--use-service-account-credentials=true",
        f"--service-cluster-ip-range={SERVICE_CIDR}",
        # In-tree dynamic provisioning for StorageClass `standard` (kubernetes.io/host-path).
        "--enable-hostpath-provisioner=true",
        "--kube-api-qps=100",
        "--kube-api-burst=200",
    )
    return Component("kube-controller-manager", argv, f"https://{LOCALHOST}:{port}/healthz", tls=True)


def scheduler(spec: Spec) -> Component:
    port = spec.ports.scheduler
    argv = (
        str(spec.bin_dir / "kube-scheduler"),
        *_delegating(spec, "kube-scheduler", port),
    )
    return Component("kube-scheduler", argv, f"https://{LOCALHOST}:{port}/readyz", tls=True)


def kwok(spec: Spec) -> Component:
    key, value = KWOK_NODE_ANNOTATION
    argv = (
        str(spec.bin_dir / "kwok"),
        f"--kubeconfig={spec.layout.component_kubeconfig('kwok')}",
        f"--config={spec.bin_dir / 'kwok-stages.yaml'}",
        "--manage-all-nodes=false",
        f"--manage-nodes-with-annotation-selector={key}={value}",
        f"--cidr={POD_CIDR}",
        f"--node-ip={LOCALHOST}",
        "--node-lease-duration-seconds=40",
        f"--server-address={LOCALHOST}:{spec.ports.kwok}",
    )
    return Component("kwok", argv, f"http://{LOCALHOST}:{spec.ports.kwok}/healthz", tls=False)


def all_components(spec: Spec) -> tuple[Component, ...]:
    """Every component, in start order; stop in reverse."""
    return (etcd(spec), apiserver(spec), controller_manager(spec), scheduler(spec), kwok(spec))
