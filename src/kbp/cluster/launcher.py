"""Bring a local control plane up and down, and report on it.

etcd -> kube-apiserver -> kube-controller-manager -> kube-scheduler -> kwok, each gated on a real
readiness check, then (with `real_node`) a real node (kbp.cluster.node.launcher). A half-started
set is stopped again, and the failing component's log tail is put into the error.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kbp import kube
from kbp.auth import authconfig
from kbp.cluster import credentials, gateway, objects, processes
from kbp.cluster.components import START_ORDER, START_TIMEOUT, Component, Ports, all_components
from kbp.cluster.layout import Layout
from kbp.cluster.node import launcher as node_launcher
from kbp.cluster.node import volumes
from kbp.cluster.readiness import NotReadyError, Tls, http_ok, polling, wait, wait_healthy
from kbp.cluster.record import Cluster
from kbp.goenv import go_env
from kbp.ports import free_ports

DEFAULT_NODES = 3


class StartError(Exception):
    """The cluster did not come up; the message ends with the failing component's log tail.
    `timed_out`: nothing failed, the start ran out of time (a longer timeout may be all it needs)."""

    def __init__(self, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


@dataclass(frozen=True)
class ComponentStatus:
    name: str
    pid: int | None
    port: int | None
    alive: bool


def port_of(ports: Ports, name: str) -> int:
    return {
        "etcd": ports.etcd_client,
        "kube-apiserver": ports.apiserver,
        "kube-controller-manager": ports.controller_manager,
        "kube-scheduler": ports.scheduler,
        "kwok": ports.kwok,
    }[name]


def status(layout: Layout) -> list[ComponentStatus]:
    """Each component's recorded pid, port, and whether that process still runs."""
    cluster = Cluster.load(layout)
    rows = []
    names = START_ORDER + (node_launcher.ORDER if cluster and cluster.node else ())
    for name in names:
        handle = processes.read_handle(layout, name)
        port = port_of(cluster.ports, name) if cluster and name in START_ORDER else None
        rows.append(
            ComponentStatus(
                name, handle.pid if handle else None, port, bool(handle and processes.alive(handle))
            )
        )
    return rows


def down(layout: Layout) -> list[str]:
    """Stop every recorded process (idempotent). Returns the errors; etcd data is removed.

    A real node goes first, with everything it made (cgroups, mounts, its network namespace).
    """
    cluster = Cluster.load(layout)
    errors = node_launcher.stop(cluster) if cluster is not None else []
    errors += processes.stop_all(layout, START_ORDER)
    if not errors:
        shutil.rmtree(layout.etcd_data, ignore_errors=True)
    return errors


def up(
    bin_dir: Path,
    layout: Layout,
    nodes: int = DEFAULT_NODES,
    timeout: float = START_TIMEOUT,
    real_node: bool = False,
) -> Cluster:
    """Start a fresh cluster (or return the running one) and wait until it is really ready.

    With `real_node`, a real kubelet node joins beside the kwok ones, which are then tainted
    so that workloads land on the real node.
    """
    rows = status(layout)
    running = [row for row in rows if row.alive]
    existing = Cluster.load(layout)
    if existing is not None and running and len(running) == len(rows):
        if real_node and existing.node is None:
            raise StartError(f"the cluster in {layout.root} has no real node; run `kbp cluster down` first")
        return existing
    if running:
        raise StartError(f"a partial cluster runs in {layout.root}; run `kbp cluster down` first")
    try:
        node = node_launcher.plan(layout, bin_dir) if real_node else None
    except node_launcher.NodeError as exc:
        raise StartError(str(exc)) from exc
    _reset(layout)
    cluster = Cluster(layout, bin_dir, Ports(*free_ports(6)), node)
    cluster.save()  # before any process: `down` must find what a crashed `up` left behind
    credentials.write_all(layout, cluster.server)
    authconfig.ensure(layout.authentication_config)
    try:
        _start(cluster, nodes, time.monotonic() + timeout)
    except (NotReadyError, kube.KubeError, OSError) as exc:
        raise _failed(layout, exc, timeout) from exc
    except BaseException:  # Ctrl-C or a bug: still leave nothing running
        down(layout)
        raise
    return cluster


def _reset(layout: Layout) -> None:
    # Stale state from a stopped cluster: keys and data of the old CA are useless now.
    paths = (
        layout.pki,
        layout.etcd_data,
        layout.logs,
        layout.run,
        layout.record,
        layout.kubeconfig,
        layout.node,
    )
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _failed(layout: Layout, exc: Exception, timeout: float) -> StartError:
    errors = down(layout)
    name = exc.component if isinstance(exc, NotReadyError) else None
    timed_out = isinstance(exc, NotReadyError) and exc.timed_out
    tail = (
        f"\n--- last lines of {layout.log(name)} ---\n{processes.log_tail(layout.log(name))}" if name else ""
    )
    extra = "".join(f"\n{e}" for e in errors)
    within = f" (the start's {timeout:.0f} s)" if timed_out else ""
    return StartError(f"cluster start failed: {exc}{within}{extra}{tail}", timed_out=timed_out)


def _start(cluster: Cluster, nodes: int, deadline: float) -> None:
    layout = cluster.layout
    tls = Tls(cluster.ca, layout.cert("admin"), layout.key("admin"))
    etcd, apiserver, kcm, scheduler, kwok = all_components(cluster.spec)
    _start_one(etcd, layout, tls, deadline)
    api = _start_one(apiserver, layout, tls, deadline)
    default_ns = f"{cluster.server}/api/v1/namespaces/default"
    with polling(tls) as client:
        wait(api, lambda: http_ok(default_ns, tls, client), "namespace default", deadline)
    # The last three only need the apiserver: start them together, then gate each in turn.
    started = [(c, processes.spawn(c, layout, go_env())) for c in (kcm, scheduler, kwok)]
    for component, handle in started:
        wait_healthy(handle, component, tls, deadline)
    # Each request may take what is left of the start's deadline: on a loaded machine, three
    # clusters applying their CRDs at once wait well past lightkube's 10 s for an answer.
    request_s = max(10.0, deadline - time.monotonic())
    with kube.connect(cluster.kubeconfig, timeout=request_s) as client:
        _seed(client, started[0][1], started[2][1], nodes, deadline, tainted=cluster.node is not None)
        # The journal chart's default exposure is an HTTPRoute on the edge release's Gateway.
        gateway.install(client, cluster.bin_dir, lambda check, what: wait(api, check, what, deadline))
    if cluster.node is not None:
        node_launcher.start(cluster, deadline)


def _seed(
    client: kube.KubeClient,
    kcm: processes.Handle,
    kwok: processes.Handle,
    nodes: int,
    deadline: float,
    *,
    tainted: bool = False,
) -> None:
    """Storage class and fake nodes in; wait for the controllers' first work and Ready nodes."""
    kube.apply(client, objects.default_storage_class(volumes.PROVISIONER if tainted else objects.HOST_PATH))
    sa = _exists(client, "v1", "ServiceAccount", "default")
    wait(kcm, sa, "ServiceAccount default/default", deadline)
    root_ca = _exists(client, "v1", "ConfigMap", "kube-root-ca.crt")
    wait(kcm, root_ca, "ConfigMap kube-root-ca.crt", deadline)
    for index in range(nodes):
        kube.apply(client, objects.fake_node(index, tainted=tainted))
    wait(kwok, _nodes_ready(client, nodes), f"{nodes} kwok nodes Ready", deadline)


def _start_one(component: Component, layout: Layout, tls: Tls, deadline: float) -> processes.Handle:
    handle = processes.spawn(component, layout, go_env())
    wait_healthy(handle, component, tls, deadline)
    return handle


def _exists(client: kube.KubeClient, api_version: str, kind: str, name: str) -> Callable[[], bool]:
    return lambda: kube.find(client, api_version, kind, name, "default") is not None


def _nodes_ready(client: kube.KubeClient, count: int) -> Callable[[], bool]:
    def check() -> bool:
        ready = [
            n
            for n in kube.list_objects(client, "v1", "Node", labels={"type": "kwok"})
            if kube.condition(n, "Ready") == "True"
            # Scheduling waits for the node lifecycle controller to lift the not-ready taint.
            and not any(
                t.get("key") == "node.kubernetes.io/not-ready" for t in n.get("spec", {}).get("taints") or []
            )
        ]
        return len(ready) >= count

    return check
