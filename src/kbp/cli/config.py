"""kbp config: the journal's versioned configuration on a cluster (show, set, history, rollback)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kbp.cli.options import Context, Kubeconfig, Namespace, Output, fail
from kbp.output import Format

if TYPE_CHECKING:
    from kbp.release.configuring import Change, Target

app = typer.Typer(help="Versioned configuration of a deployed journal.", no_args_is_help=True)

Release = Annotated[str, typer.Option("--release", help="Helm release name.")]
Timeout = Annotated[float, typer.Option("--timeout", min=1, help="Seconds to wait for the rollout.")]
Chart = Annotated[
    Path | None,
    typer.Option("--chart", help="Chart whose values.schema.json checks settings (default: charts/journal)."),
]


def _target(kubeconfig: Path | None, context: str | None, namespace: str | None, release: str) -> Target:
    from kbp import kube  # noqa: PLC0415 -- lightkube is slow to import
    from kbp.cli.options import client  # noqa: PLC0415
    from kbp.release.configuring import Target  # noqa: PLC0415

    try:
        ns = namespace or kube.context_namespace(kubeconfig, context=context)
    except kube.KubeError as err:
        raise fail(str(err)) from err
    return Target(client(kubeconfig, context, ns), ns, release)


def _report(change: Change, verb: str) -> None:
    from kbp.output import note  # noqa: PLC0415

    if not change.changed:
        note(f"configmap {change.after.name} is already live; nothing changed")
    elif change.outcome is not None and not change.outcome.ok:
        for ref, reason in change.outcome.reasons.items():
            typer.echo(f"error: {ref} not ready: {reason}", err=True)
        raise fail(f"{verb} {change.after.name}: rollout did not finish; the previous pods keep serving")
    else:
        note(f"{verb} {change.before.name} -> {change.after.name}; rollout finished")
    for name in change.pruned:
        note(f"pruned configmap {name}")
    typer.echo(change.after.name)


@app.command()
def show(
    *,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Namespace = None,
    release: Release = "journal",
    output: Output = Format.table,
) -> None:
    """Print the live version's settings."""
    from kbp import kube  # noqa: PLC0415
    from kbp.output import emit  # noqa: PLC0415
    from kbp.release import configs, configuring  # noqa: PLC0415

    target = _target(kubeconfig, context, namespace, release)
    try:
        now = configuring.live(target)
    except (configs.ConfigError, kube.KubeError) as err:
        raise fail(str(err)) from err
    rows = [{"key": k, "value": v, "configmap": now.version.name} for k, v in sorted(now.data.items())]
    emit(
        rows, kind="Setting", columns=[("key", "key"), ("value", "value")], fmt=output, title=now.version.name
    )


@app.command("set")
def set_(
    assignments: Annotated[list[str], typer.Argument(help="KEY=VALUE, e.g. entries=20 log_level=debug.")],
    *,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Namespace = None,
    release: Release = "journal",
    chart: Chart = None,
    retention: Annotated[
        int, typer.Option(min=1, help="Versions to keep (plus any a ReplicaSet needs).")
    ] = 5,
    timeout: Timeout = 120.0,
) -> None:
    """Create the next -vN ConfigMap with these settings, point the API at it, wait, prune old versions.

    Keys and values are checked against the chart's schema before anything is written (exit 2).
    """
    from kbp import kube  # noqa: PLC0415
    from kbp.output import progress  # noqa: PLC0415
    from kbp.release import configs, configuring, schemas  # noqa: PLC0415

    try:
        schema = schemas.SettingsSchema.load(chart or _chart())
        changes = schemas.parse_assignments(assignments, schema)
    except schemas.SettingError as err:
        raise fail(str(err), 2) from err
    target = _target(kubeconfig, context, namespace, release)
    try:
        with progress(f"setting {', '.join(changes)} and waiting for the API rollout"):
            change = configuring.set_settings(target, changes, retention=retention, timeout_s=timeout)
    except (configs.ConfigError, kube.KubeError) as err:
        raise fail(str(err)) from err
    _report(change, "set")


@app.command()
def history(
    *,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Namespace = None,
    release: Release = "journal",
    output: Output = Format.table,
) -> None:
    """List the versions left, the live one marked, with the ReplicaSet revisions that mount each."""
    from kbp import kube  # noqa: PLC0415
    from kbp.output import emit  # noqa: PLC0415
    from kbp.release import configs, configuring  # noqa: PLC0415

    target = _target(kubeconfig, context, namespace, release)
    try:
        rows = configuring.history(target)
    except (configs.ConfigError, kube.KubeError) as err:
        raise fail(str(err)) from err
    if output is Format.table:
        for row in rows:
            row["settings"] = " ".join(f"{k}={v}" for k, v in sorted(row["settings"].items()))
            row["live"] = "*" if row["live"] else ""
    columns = [
        ("version", "version"),
        ("live", "live"),
        ("name", "name"),
        ("created", "created"),
        ("revisions", "revisions"),
        ("settings", "settings"),
    ]
    emit(rows, kind="ConfigVersion", columns=columns, fmt=output)


@app.command()
def rollback(
    *,
    to: Annotated[
        str | None, typer.Option("--to", help="Version to return to, e.g. v3 (default: the previous).")
    ] = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Namespace = None,
    release: Release = "journal",
    timeout: Timeout = 120.0,
) -> None:
    """Point the API back at an existing version (creates nothing) and wait for the rollout."""
    from kbp import kube  # noqa: PLC0415
    from kbp.output import progress  # noqa: PLC0415
    from kbp.release import configs, configuring  # noqa: PLC0415

    number = None
    if to is not None:
        digits = to.removeprefix("v")
        if not digits.isdigit() or int(digits) < 1:
            raise fail(f"--to {to!r} is not a version (examples: v3, 3)", 2)
        number = int(digits)
    target = _target(kubeconfig, context, namespace, release)
    try:
        with progress("rolling back and waiting for the API rollout"):
            change = configuring.rollback(target, number, timeout_s=timeout)
    except (configs.ConfigError, kube.KubeError) as err:
        raise fail(str(err)) from err
    _report(change, "rolled back")


def _chart() -> Path:
    from kbp.charts import ChartNotFoundError, journal_chart  # noqa: PLC0415

    try:
        return journal_chart()
    except ChartNotFoundError as err:
        raise fail(str(err), 2) from err
