"""kbp cluster: a real local Kubernetes control plane (etcd, apiserver, KCM, scheduler, kwok)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from kbp.cli.options import Output, fail
from kbp.cluster.components import START_TIMEOUT
from kbp.cluster.layout import Layout
from kbp.output import Format

app = typer.Typer(help="Run a real local Kubernetes control plane.", no_args_is_help=True)

StateDir = Annotated[
    Path | None,
    typer.Option(
        "--state-dir", help="Cluster state directory (default: $KBP_STATE/cluster, or .kbp/cluster)."
    ),
]

Name = Annotated[
    str | None,
    typer.Option("--name", help="Run several clusters side by side: state in $KBP_STATE/clusters/NAME."),
]


def _layout(state_dir: Path | None, name: str | None = None) -> Layout:
    if state_dir and name is not None:
        raise fail("give --name or --state-dir, not both", 2)
    if name is not None:
        try:
            return Layout.named(name)
        except ValueError as exc:
            raise fail(str(exc), 2) from exc
    return Layout.at(state_dir) if state_dir else Layout.default()


@app.command()
def up(
    *,
    state_dir: StateDir = None,
    name: Name = None,
    bin_dir: Annotated[
        Path | None,
        typer.Option(help="Prebuilt binaries (default: $KBP_TESTENV_BIN, else build with testenv/build.sh)."),
    ] = None,
    nodes: Annotated[int, typer.Option(min=1, help="Number of kwok fake nodes.")] = 3,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds the whole start may take before it gives up.")
    ] = START_TIMEOUT,
    real_node: Annotated[
        bool,
        typer.Option(
            "--real-node",
            help="Also run a real node (kubelet, containerd, kube-proxy, CoreDNS; root, cgroup v1) "
            "and taint the kwok nodes so workloads land on it.",
        ),
    ] = False,
) -> None:
    """Start the control plane (or reuse the running one) and print how to use it."""
    from kbp.cluster import binaries, launcher  # noqa: PLC0415 -- keeps `kbp --help` fast

    layout = _layout(state_dir, name)
    try:
        bins = binaries.resolve(bin_dir)
        began = time.monotonic()
        cluster = launcher.up(bins, layout, nodes=nodes, timeout=timeout, real_node=real_node)
    except (binaries.BinariesError, launcher.StartError) as exc:
        typer.echo(str(exc), err=True)
        if isinstance(exc, launcher.StartError) and exc.timed_out:
            hint = f"a slow or loaded machine may need longer: --timeout SECONDS (now {timeout:.0f})"
            typer.echo(hint, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"cluster ready in {time.monotonic() - began:.1f}s at {cluster.server}", err=True)
    typer.echo(f"kubeconfig: {cluster.kubeconfig}", err=True)
    typer.echo(f"binaries:   {cluster.bin_dir}  (kubectl, helm)", err=True)
    if cluster.node is not None:
        node = cluster.node
        typer.echo(f"real node:  {node.name} at {node.ip} (netns {node.netns})", err=True)
        typer.echo(f"load images: {' '.join(node.ctr('images', 'import', 'IMAGE.tar'))}", err=True)
    typer.echo(f"export KUBECONFIG={cluster.kubeconfig}")


@app.command()
def down(state_dir: StateDir = None, name: Name = None) -> None:
    """Stop every process `up` started (safe to repeat)."""
    from kbp.cluster import launcher  # noqa: PLC0415

    layout = _layout(state_dir, name)
    errors = launcher.down(layout)
    for error in errors:
        typer.echo(error, err=True)
    if errors:
        raise typer.Exit(1)
    typer.echo(f"stopped cluster in {layout.root}", err=True)


@app.command()
def status(state_dir: StateDir = None, name: Name = None, output: Output = Format.table) -> None:
    """Show each component's pid, port and whether it runs; exit 1 unless all do."""
    from kbp.cluster import launcher  # noqa: PLC0415
    from kbp.output import emit  # noqa: PLC0415

    layout = _layout(state_dir, name)
    rows = launcher.status(layout)
    items = [{"component": r.name, "pid": r.pid, "port": r.port, "alive": r.alive} for r in rows]
    columns = [("component", "component"), ("pid", "pid"), ("port", "port"), ("alive", "alive")]
    emit(items, kind="Component", columns=columns, fmt=output, title=f"cluster in {layout.root}")
    if not all(row.alive for row in rows):
        raise typer.Exit(1)
