"""A real control plane for a pytest session: build (cached), start once, always tear down.

A missing binary or a failed build raises: integration tests never skip for lack of a cluster.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from kbp import kube
from kbp.cluster import binaries, launcher, processes
from kbp.cluster.components import START_ORDER
from kbp.cluster.layout import Layout
from kbp.cluster.node import cgroups, mounts
from kbp.cluster.node import launcher as node_launcher
from kbp.cluster.record import Cluster, RealNode
from kbp.goenv import go_env

# In the xdist controller's basetemp: the planes its workers share (kwok only, and one with a real node).
SHARED_DIR = "shared-cluster"
SHARED_REAL_DIR = "shared-real-cluster"


@dataclass(frozen=True)
class ControlPlane:
    """What tests get: the running cluster's coordinates and tools that point at it."""

    cluster: Cluster
    tools_home: Path  # helm's cache/config/data, kept out of the real home directory

    @property
    def kubeconfig(self) -> Path:
        return self.cluster.kubeconfig

    @property
    def server(self) -> str:
        return self.cluster.server

    @property
    def ca(self) -> Path:
        return self.cluster.ca

    @property
    def bin_dir(self) -> Path:
        return self.cluster.bin_dir

    @property
    def layout(self) -> Layout:
        return self.cluster.layout

    @contextmanager
    def importing_images(self) -> Iterator[None]:
        """Held while images go into the real node: the xdist workers that share it import one
        at a time, so two never write the same image's content and snapshots at once."""
        with (self.layout.root / "images.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def client(self, namespace: str | None = None) -> kube.KubeClient:
        return kube.connect(self.kubeconfig, namespace=namespace)

    def env(self) -> dict[str, str]:
        """For the tools and kbp processes a test runs; helm and kubectl collect as kbp's do (kbp.goenv)."""
        home = self.tools_home
        return go_env(
            {
                **os.environ,
                "KUBECONFIG": str(self.kubeconfig),
                "HELM_CACHE_HOME": str(home / "cache"),
                "HELM_CONFIG_HOME": str(home / "config"),
                "HELM_DATA_HOME": str(home / "data"),
            }
        )

    def run(
        self, tool: str, *args: str, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run a bundled tool (kubectl, helm) against this cluster; raises with its output on failure."""
        result = subprocess.run(
            [str(self.bin_dir / tool), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{tool} {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result


def leftovers(layout: Layout, names: Sequence[str] = START_ORDER) -> list[str]:
    """Components whose recorded process still runs (empty after a clean `down`)."""
    handles = [processes.read_handle(layout, name) for name in names]
    return [h.name for h in handles if h is not None and processes.alive(h)]


def node_leftovers(node: RealNode, layout: Layout) -> list[str]:
    """What a real node left behind: processes, cgroups, mounts, its netns, link and run dir."""
    found = [f"netns {node.netns}"] if node.netns_path.exists() else []
    link = f"kbp{node.netns.removeprefix('kbp-')}"
    found += [f"link {link}"] if Path("/sys/class/net", link).exists() else []
    root = node.cgroup_root.lstrip("/")
    found += [
        f"cgroup {h}/{root}" for h in sorted(cgroups.mounted()) if (cgroups.CGROUP_FS / h / root).exists()
    ]
    found += [f"mount {m}" for m in mounts.under(layout.node, layout.node_run)]
    found += [f"dir {layout.node_run}"] if layout.node_run.exists() else []
    marks = (str(layout.root).encode(), str(layout.node_run).encode())
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                cmdline = (proc / "cmdline").read_bytes()
            except OSError:
                continue
            if any(mark in cmdline for mark in marks):
                argv = cmdline.replace(b"\0", b" ").decode(errors="replace")
                found.append(f"process {proc.name}: {argv[:120]}")
    return found


# Stages beyond kwok's defaults, for tests: tests/fixtures/kwok/*.yaml.
TEST_STAGES = Path(__file__).parents[1] / "fixtures" / "kwok"
NEVER_READY_TAG = "v0.0.0-never.ready-00000000"  # pods with an image of this tag never become ready


def with_test_stages(bins: Path, into: Path) -> Path:
    """A directory of links to `bins` whose kwok-stages.yaml is the defaults plus TEST_STAGES."""
    into.mkdir(parents=True, exist_ok=True)
    for entry in bins.iterdir():
        if entry.name != "kwok-stages.yaml" and not (into / entry.name).exists():
            (into / entry.name).symlink_to(entry)
    defaults = (bins / "kwok-stages.yaml").read_text().rstrip().removesuffix("---")
    extra = [p.read_text() for p in sorted(TEST_STAGES.glob("*.yaml"))]
    (into / "kwok-stages.yaml").write_text("\n---\n".join([defaults, *extra]))
    return into


@contextmanager
def running(state: Path, tools_home: Path, *, real_node: bool = False) -> Iterator[ControlPlane]:
    """Build (or reuse) the binaries, start a cluster in `state`, and stop it on the way out.

    With `real_node`, `plane.cluster.node` is the real node (kbp.cluster.record.RealNode) and
    the kwok nodes are tainted, so ordinary pods land on the real node.
    """
    bins = with_test_stages(binaries.resolve(), tools_home / "bin")
    layout = Layout.at(state)
    try:
        cluster = launcher.up(bins, layout, real_node=real_node)  # the product's default timeout
        yield ControlPlane(cluster, tools_home)
    finally:
        failed = stop(layout)
        if failed:
            raise AssertionError(failed)


def stop(layout: Layout) -> str | None:
    """Stop the cluster in `layout`; what failed or was left behind, if anything."""
    node = Cluster.load(layout)
    errors = launcher.down(layout)
    left = leftovers(layout, (*START_ORDER, *node_launcher.ORDER))
    if node is not None and node.node is not None:
        left += node_leftovers(node.node, layout)
    return f"control plane teardown failed: {errors}, still running: {left}" if errors or left else None


def shared(root: Path, tools_home: Path, *, real_node: bool = False) -> ControlPlane:
    """The control plane in `root`, started by whichever pytest-xdist worker asks first.

    Workers take a file lock, so one starts it and the others wait and reuse it; helm's homes
    (`tools_home`) stay each worker's own. Nothing stops it here: `stop_shared`, in the xdist
    controller, once every worker is done with it (tests/conftest.py).
    """
    root.mkdir(parents=True, exist_ok=True)
    layout = Layout.at(root / "state")
    with (root / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (root / STOPPED).exists():
            raise AssertionError(f"the shared cluster in {root} was stopped: its last test had ended")
        rows = launcher.status(layout)
        if any(row.alive for row in rows) and not all(row.alive for row in rows):
            launcher.down(layout)  # a worker died while starting it, or a component since
        bins = with_test_stages(binaries.resolve(), root / "bin")
        # The product's default timeout.
        return ControlPlane(launcher.up(bins, layout, real_node=real_node), tools_home)


STOPPED = "stopped"  # beside a shared plane that stop_shared stopped: no worker starts it again


def stop_shared(root: Path) -> str | None:
    """Stop the plane `shared` started in `root`, if any; what failed, as `stop` says."""
    layout = Layout.at(root / "state")
    if not root.exists():
        return None
    with (root / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # not while a worker is starting it
        if (root / STOPPED).exists():
            return None  # stopped already; what failed then was said then
        (root / STOPPED).touch()
        return stop(layout) if layout.record.exists() else None


@contextmanager
def controller_manager_with(plane: ControlPlane, controllers: str) -> Iterator[None]:
    """Run the cluster's controller-manager with `--controllers=controllers` for a while (a control
    plane whose CSR signer is off, say), then restore the usual one."""
    from kbp.cluster import components  # noqa: PLC0415
    from kbp.cluster.readiness import NotReadyError, Tls, wait_healthy  # noqa: PLC0415

    layout = plane.layout
    usual = components.controller_manager(plane.cluster.spec)
    argv = tuple(f"--controllers={controllers}" if a.startswith("--controllers=") else a for a in usual.argv)
    tls = Tls(plane.ca, layout.cert("admin"), layout.key("admin"))

    def swap(to: components.Component) -> None:
        handle = processes.read_handle(layout, usual.name)
        if handle is not None:
            processes.stop(handle, layout)
        # The old process is gone, yet its port was once still taken ("bind: address already in
        # use", seen once in a full run): try again shortly rather than fail the module.
        for attempt in range(3):
            started = processes.spawn(to, layout)
            try:
                wait_healthy(started, to, tls, time.monotonic() + 60.0)
                return
            except NotReadyError:
                in_use = "address already in use" in processes.log_tail(layout.log(to.name), 5)
                if attempt == 2 or not in_use:
                    raise
                time.sleep(1.0)

    swap(replace(usual, argv=argv))
    try:
        yield
    finally:
        swap(usual)
