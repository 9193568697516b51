"""kbp cluster-services: the cluster's pinned Helm releases (deploy/cluster-services/), via helmfile."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kbp.cli.options import Context, Kubeconfig, Output, exits
from kbp.output import Format, emit, note, progress

if TYPE_CHECKING:
    from kbp.platform.changes import ReleasePlan
    from kbp.platform.planning import Services
    from kbp.platform.running import Target

app = typer.Typer(
    help="Install and check the cluster services (gateway, cert-manager, monitoring, logs).",
    no_args_is_help=True,
)

File = Annotated[
    Path,
    typer.Option("--file", "-f", help="The helmfile.yaml, or its directory.", envvar="KBP_CLUSTER_SERVICES"),
]
Environment = Annotated[
    str, typer.Option("--env", "-e", help="Environment declared in the file (dev, prod).")
]
DEFAULT_FILE = Path("deploy/cluster-services/helmfile.yaml")
PLAN_COLUMNS = [
    ("name", "name"),
    ("namespace", "namespace"),
    ("action", "action"),
    ("from", "from"),
    ("to", "to"),
    ("objects", "changed"),
]


def _errors() -> AbstractContextManager[None]:
    """A bad file exits 2 before anything ran; a failed tool exits 1."""
    from kbp.platform.errors import PinError, ToolError  # noqa: PLC0415

    return exits(bad=(PinError,), failed=(ToolError,))


def _setup(
    file: Path, environment: str, kubeconfig: Path | None, context: str | None
) -> tuple[Services, Target]:
    from kbp.platform import planning, running  # noqa: PLC0415

    services = planning.Services.read(file, environment)  # pins first: nothing runs on a bad file
    return services, running.target(kubeconfig, context)


def _plan(services: Services, t: Target) -> list[ReleasePlan]:
    from kbp.platform import planning  # noqa: PLC0415

    with progress(f"comparing {len(services.releases.releases)} releases with the cluster"):
        return planning.plan(services, t)


def _show_plan(plans: list[ReleasePlan], fmt: Format, *, diffs: bool) -> None:
    """The plan as a table (with each object's diff when `diffs`), or as a JSON List."""
    kind = "ClusterServicePlan"
    if fmt is Format.json:
        emit([p.as_item() for p in plans], kind=kind, columns=PLAN_COLUMNS, fmt=fmt)
        return
    emit(
        [{**p.as_item(), "changed": len(p.objects) or None} for p in plans],
        kind=kind,
        columns=PLAN_COLUMNS,
        fmt=fmt,
    )
    if not diffs:
        return
    for p in plans:
        for obj in p.objects if p.changes else ():
            typer.echo(f"\n{p.release.key}: {obj.key} {obj.change}\n{obj.diff}")


@app.command()
def status(
    file: File = DEFAULT_FILE,
    environment: Environment = "dev",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    output: Output = Format.table,
) -> None:
    """Each release's deployed chart version against its pin; exit 1 on drift or a missing release."""
    from kbp.platform import planning  # noqa: PLC0415
    from kbp.platform.drift import State  # noqa: PLC0415

    with _errors():
        services, t = _setup(file, environment, kubeconfig, context)
        with progress("reading releases from helm"):
            rows = planning.status(services, t)
    columns = [(c, c) for c in ("name", "namespace", "chart", "pinned", "deployed", "state", "reason")]
    emit([r.as_item() for r in rows], kind="ClusterService", columns=columns, fmt=output)
    bad = [r for r in rows if r.state in (State.drifted, State.missing, State.failed)]
    if bad:
        note(f"{len(bad)} of {len(rows)} releases not as pinned: {', '.join(r.release.key for r in bad)}")
        raise typer.Exit(1)


@app.command()
def diff(
    file: File = DEFAULT_FILE,
    environment: Environment = "dev",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    output: Output = Format.table,
) -> None:
    """What apply would change, object by object; exit 1 if anything (kubectl diff's convention).

    Secret values are redacted: a diff says only that a key changed.
    """
    with _errors():
        services, t = _setup(file, environment, kubeconfig, context)
        plans = _plan(services, t)
    _show_plan(plans, output, diffs=True)
    if any(p.changes for p in plans):
        raise typer.Exit(1)


@app.command()
def apply(
    *,
    file: File = DEFAULT_FILE,
    environment: Environment = "dev",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    output: Output = Format.table,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
) -> None:
    """Install or upgrade the releases that differ from the file, in `needs` order.

    Releases that match are left alone, so a second run changes nothing.
    """
    from kbp.platform import planning  # noqa: PLC0415

    with _errors():
        services, t = _setup(file, environment, kubeconfig, context)
        plans = _plan(services, t)
        todo = [p.release.key for p in plans if p.changes]
        if todo and not dry_run:
            with progress(f"helmfile sync {', '.join(todo)}"):
                planning.apply(services, t, plans)
    _show_plan(plans, output, diffs=dry_run)
    _summary(len(todo), dry_run=dry_run, say=note)


def _summary(count: int, *, dry_run: bool, say: Callable[[str], None]) -> None:
    if count == 0:
        say("nothing to change")
    else:
        say(f"{count} release(s) {'would change (dry run)' if dry_run else 'installed or upgraded'}")
