"""kbp fleet: many clusters as one, from a fleet file in git; no controller to install."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kbp.cli.options import Output, exits, fail
from kbp.output import Format, emit, note, progress

if TYPE_CHECKING:
    from kbp.fleet.applying import Change
    from kbp.fleet.inventory import Cluster, Fleet

app = typer.Typer(help="Many clusters as one: status across them, apply in waves.", no_args_is_help=True)

DEFAULT_FILE = Path("deploy/fleet.yaml")
FleetFile = Annotated[
    Path,
    typer.Option("--fleet-file", help="The fleet file (clusters, labels, waves).", envvar="KBP_FLEET"),
]
Selector = Annotated[
    str,
    typer.Option("--selector", "-l", help="Only the clusters these labels pick (env=dev, env in (a,b))."),
]
ExpiringWithin = Annotated[
    str, typer.Option("--expiring-within", help="Flag certificates and namespaces that end within this.")
]
Timeout = Annotated[float, typer.Option("--timeout", min=1, help="Seconds to wait for each rollout.")]
APPLY_COLUMNS = [(c, c) for c in ("wave", "cluster", "outcome", "services", "journal", "detail")]


def _errors() -> AbstractContextManager[None]:
    """A bad fleet or services file exits 2 before any cluster is touched; a failed tool exits 1."""
    from kbp.fleet import FleetError, FleetFileError  # noqa: PLC0415
    from kbp.lint.errors import HelmError  # noqa: PLC0415
    from kbp.platform.errors import PinError, ToolError  # noqa: PLC0415

    return exits(bad=(FleetFileError, PinError), failed=(FleetError, ToolError, HelmError))


def load(file: Path, selector: str) -> tuple[Fleet, tuple[Cluster, ...]]:
    """The fleet and the clusters `selector` picks; FleetFileError naming what is wrong."""
    from kbp.fleet import inventory  # noqa: PLC0415

    fleet = inventory.load(file)
    return fleet, fleet.select(selector)


@app.command()
def status(
    fleet_file: FleetFile = DEFAULT_FILE,
    selector: Selector = "",
    expiring_within: ExpiringWithin = "7d",
    output: Output = Format.table,
) -> None:
    """One table of cluster x release, every cluster asked at once; exit 1 unless all are healthy.

    An unreachable cluster shows its last good answer with that answer's age, never as healthy.
    """
    from kbp.fleet import prefetching, tooling  # noqa: PLC0415
    from kbp.namespaces import ttl  # noqa: PLC0415 -- not kbp.users: cryptography is slow to import

    with _errors():
        try:
            window = ttl.parse_duration(expiring_within)
        except ttl.LifetimeError as exc:
            raise fail(f"--expiring-within {exc}", 2) from exc
        # Usually started before Typer was (kbp.cli.main); else now, to run while lightkube imports.
        started = prefetching.take(fleet_file, selector)
        if started is None:
            fleet, picked = load(fleet_file, selector)
            tools = tooling.start(picked)
        else:
            fleet, picked, tools = started
        try:
            from kbp.fleet import surveying, view  # noqa: PLC0415

            with progress(f"asking {len(picked)} clusters"):
                result = surveying.survey(fleet, picked, expiring_within=window, tools=tools)
        finally:
            tools.stop()
    if output is Format.json:
        emit(result.items, kind="FleetCluster", columns=[], fmt=output)
    else:
        emit(
            [r for i in result.items for r in view.rows(i)],
            kind="FleetRelease",
            columns=view.COLUMNS,
            fmt=output,
        )
    for item in result.items:
        if item["stale"]:
            note(f"cluster {item['cluster']}: {item['answer']}: {item['error']}")
    if not result.healthy:
        bad = [i["cluster"] for i in result.items if not i["healthy"]]
        note(f"{len(bad)} of {len(result.items)} clusters not healthy: {', '.join(bad)}")
        raise typer.Exit(1)


@app.command()
def apply(
    *,
    fleet_file: FleetFile = DEFAULT_FILE,
    selector: Selector = "",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show each cluster's diff; change nothing.")
    ] = False,
    timeout: Timeout = 300.0,
    output: Output = Format.table,
) -> None:
    """Cluster services and the journal onto the picked clusters, wave by wave.

    A wave starts only when every cluster of the one before is healthy; the first failure stops the
    rollout and says where. Releases that match are left alone, so a second run changes nothing.
    """
    from kbp.fleet import applying, rolling, tooling  # noqa: PLC0415
    from kbp.lint.helm import find_helm  # noqa: PLC0415

    with _errors():
        fleet, picked = load(fleet_file, selector)
        tools = tooling.start(picked)
        try:
            helm, chart = find_helm(), _chart()

            def one(cluster: Cluster) -> Change:
                own = cluster.journal.chart if cluster.journal and cluster.journal.chart else chart
                return applying.apply(
                    cluster, tools, helm=helm, chart=own, dry_run=dry_run, timeout_s=timeout
                )

            report, changes = rolling.roll(
                fleet.waves, picked, one, dry_run=dry_run,
                on_wave=lambda s: note(f"wave {s.name}: {', '.join(c.name for c in s.clusters)}"),
            )  # fmt: skip
        finally:
            tools.stop()
    rows = [
        _row(name, wave, outcome.value, detail, changes.get(name))
        for name, (wave, outcome, detail) in report.outcomes.items()
    ]
    emit(rows, kind="FleetApply", columns=APPLY_COLUMNS, fmt=output)
    if dry_run and output is Format.table:
        for change in changes.values():
            _show_diff(change)
    if not report.ok:
        raise fail(f"wave {report.stopped_in} failed; later waves not started")


def _row(name: str, wave: str, outcome: str, detail: str, change: Change | None) -> dict[str, object]:
    from kbp.release import upgrading  # noqa: PLC0415

    services = [p.release.key for p in change.services if p.changes] if change else []
    journal = None
    if change and change.journal_new:
        journal = "install"
    elif change and change.journal is not None:
        journal = "unchanged" if upgrading.is_empty(change.journal) else "upgrade"
    return {
        "wave": wave, "cluster": name, "outcome": outcome, "services": services or None,
        "journal": journal, "detail": detail,
    }  # fmt: skip


def _show_diff(change: Change) -> None:
    from kbp.release import upgrading  # noqa: PLC0415

    typer.echo(f"\n=== cluster {change.cluster} ===")
    for p in change.services:
        for obj in p.objects if p.changes else ():
            typer.echo(f"{p.release.key}: {obj.key} {obj.change}\n{obj.diff}")
    if change.journal_new:
        typer.echo("journal: namespace and release would be created")
    elif change.journal is not None:
        for text in upgrading.diff_lines(change.journal):
            typer.echo(text, nl=False)


def _chart() -> Path:
    from kbp.charts import ChartNotFoundError, journal_chart  # noqa: PLC0415

    try:
        return journal_chart()
    except ChartNotFoundError as err:
        raise fail(str(err), 2) from err
