"""kbp reap: delete expired namespaces that kbp created. A dry run unless --apply."""

from __future__ import annotations

import json
import re
import signal
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kbp.cli.fleetwide import DEFAULT_FLEET_FILE, FleetFile, FleetSelector, Target, targets
from kbp.cli.options import Context, Kubeconfig, Namespace, Output, client, fail
from kbp.output import Format, emit, note

if TYPE_CHECKING:
    from kbp.kube import KubeClient
    from kbp.namespaces.metrics import ReaperMetrics
    from kbp.namespaces.policy import Policy
    from kbp.namespaces.reaper import Options, Report

COLUMNS = [
    ("name", "name"),
    ("result", "result"),
    ("reason", "reason"),
    ("deadline", "deadline"),
    ("message", "message"),
]


def reap(
    *,
    apply: Annotated[
        bool, typer.Option("--apply", help="Really warn and delete (default: dry run).")
    ] = False,
    once: Annotated[
        bool, typer.Option("--once", help="One pass, then exit (the default; for a CronJob).")
    ] = False,
    interval: Annotated[
        str | None, typer.Option("--interval", help="Loop: one pass every DURATION (e.g. 1h) until SIGTERM.")
    ] = None,
    max_deletions: Annotated[
        int,
        typer.Option(
            "--max-deletions", min=0, envvar="KBP_REAP_MAX_DELETIONS", help="Deletions per pass at most."
        ),
    ] = 10,
    warn_before: Annotated[
        str,
        typer.Option(
            "--warn-before",
            envvar="KBP_REAP_WARN_BEFORE",
            help="Warn this long before deleting; 0s turns it off.",
        ),
    ] = "1h",
    protect: Annotated[
        list[str] | None, typer.Option("--protect", help="Never reap this namespace (repeatable).")
    ] = None,
    protect_regex: Annotated[
        str | None,
        typer.Option(
            "--protect-regex", envvar="KBP_REAP_PROTECT_REGEX", help="Never reap names that fully match."
        ),
    ] = None,
    page_size: Annotated[int, typer.Option("--page-size", min=1, help="Namespaces per list request.")] = 500,
    metrics_port: Annotated[
        int,
        typer.Option("--metrics-port", min=0, help="With --interval: serve /metrics on this port; 0 is off."),
    ] = 0,
    metrics_file: Annotated[
        Path | None,
        typer.Option("--metrics-file", help="Write the counters here after each pass (textfile format)."),
    ] = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Namespace = None,
    output: Output = Format.table,
    fleet: FleetSelector = None,
    fleet_file: FleetFile = DEFAULT_FLEET_FILE,
) -> None:
    """Warn, then delete, expired namespaces kbp labelled; never protected ones (default, kube-*, its own).

    With --fleet, one pass on every cluster the selector picks, one after the other.
    """
    from kbp import kube  # noqa: PLC0415 -- lightkube is slow to import
    from kbp.namespaces.metrics import ReaperMetrics  # noqa: PLC0415
    from kbp.namespaces.policy import Policy  # noqa: PLC0415
    from kbp.namespaces.reaper import Options  # noqa: PLC0415

    if once and interval is not None:
        raise fail("give --once or --interval, not both", 2)
    if fleet is not None and interval is not None:
        raise fail("--fleet runs one pass per cluster; it does not take --interval", 2)
    every = _duration("--interval", interval) if interval is not None else None
    warn = _duration("--warn-before", warn_before)
    if every is not None and not every:
        raise fail("--interval must be longer than 0s", 2)
    try:
        pattern = re.compile(protect_regex) if protect_regex else None
    except re.error as exc:
        raise fail(f'--protect-regex "{protect_regex}" is not a regular expression: {exc}', 2) from exc
    if fleet is not None:
        options = Options(apply=apply, max_deletions=max_deletions, page_size=page_size)
        base = Policy(
            own_namespace="",
            protected_names=frozenset(protect or ()),
            protected_pattern=pattern,
            warn_before=warn,
        )
        _log_start(base, options, None)
        if not _fleet_pass(targets(fleet, fleet_file, kubeconfig, context), base, options, namespace, output):
            raise typer.Exit(1)
        return
    with client(kubeconfig, context, namespace) as api:
        try:
            own = namespace or kube.context_namespace(kubeconfig, context=context)
        except kube.KubeError as exc:
            raise fail(str(exc)) from exc
        policy = Policy(
            own_namespace=own,
            protected_names=frozenset(protect or ()),
            protected_pattern=pattern,
            warn_before=warn,
        )
        options = Options(apply=apply, max_deletions=max_deletions, page_size=page_size)
        _log_start(policy, options, every)
        metrics = ReaperMetrics()
        if every is None:
            report = _pass(
                api, policy=policy, options=options, metrics=metrics, metrics_file=metrics_file, output=output
            )
            if report is None or report.errors:
                raise typer.Exit(1)
            return
        _loop(
            api,
            policy,
            options,
            metrics,
            every=every,
            port=metrics_port,
            metrics_file=metrics_file,
            output=output,
        )


def _fleet_pass(
    found: list[Target], base: Policy, options: Options, namespace: str | None, output: Format
) -> bool:
    """One pass on each cluster in turn; every cluster's outcomes in one list. False on any error."""
    from dataclasses import replace  # noqa: PLC0415

    from kbp import kube  # noqa: PLC0415
    from kbp.namespaces import reaper  # noqa: PLC0415
    from kbp.namespaces.metrics import ReaperMetrics  # noqa: PLC0415

    items: list[dict[str, Any]] = []
    ok = True
    for t in found:
        try:
            own = namespace or kube.context_namespace(t.kubeconfig, context=t.context)
            with kube.connect(t.kubeconfig, context=t.context, namespace=own) as api:
                report = reaper.reap(
                    api, policy=replace(base, own_namespace=own), options=options,
                    now=lambda: datetime.now(UTC), metrics=ReaperMetrics(), log=sys.stderr,
                )  # fmt: skip
        except kube.KubeError as exc:
            note(f"error: cluster {t.cluster}: {exc}")
            ok = False
            continue
        items += [{"cluster": t.cluster, **o.as_item()} for o in report.outcomes]
        note(f"cluster {t.cluster}:")
        _summarise(report, options)
        ok = ok and not report.errors
    emit(items, kind="ReapResult", columns=[("cluster", "cluster"), *COLUMNS], fmt=output)
    return ok


def _duration(flag: str, value: str) -> timedelta:
    from kbp.namespaces import ttl  # noqa: PLC0415

    try:
        return ttl.parse_duration(value)
    except ttl.LifetimeError as exc:
        raise fail(f"{flag} {exc}", 2) from exc


def _pass(
    api: KubeClient,
    *,
    policy: Policy,
    options: Options,
    metrics: ReaperMetrics,
    metrics_file: Path | None,
    output: Format,
) -> Report | None:
    from kbp import kube  # noqa: PLC0415
    from kbp.namespaces import reaper  # noqa: PLC0415

    try:
        report = reaper.reap(
            api,
            policy=policy,
            options=options,
            now=lambda: datetime.now(UTC),
            metrics=metrics,
            log=sys.stderr,
        )
    except kube.KubeError as exc:
        metrics.errors.inc()
        note(f"error: listing namespaces: {exc}")
        return None
    finally:
        if metrics_file is not None:
            metrics.write(metrics_file)
    emit([o.as_item() for o in report.outcomes], kind="ReapResult", columns=COLUMNS, fmt=output)
    _summarise(report, options)
    return report


def _loop(
    api: KubeClient,
    policy: Policy,
    options: Options,
    metrics: ReaperMetrics,
    *,
    every: timedelta,
    port: int,
    metrics_file: Path | None,
    output: Format,
) -> None:
    from prometheus_client import start_http_server  # noqa: PLC0415

    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        note(f"signal {signum}: stopping after this pass")
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if port:
        start_http_server(port, registry=metrics.registry)
    while not stop.is_set():
        _pass(api, policy=policy, options=options, metrics=metrics, metrics_file=metrics_file, output=output)
        stop.wait(every.total_seconds())


def _log_start(policy: Policy, options: Options, every: timedelta | None) -> None:
    """The effective configuration, once, on one line (kube-janitor's habit), and a loud dry-run banner."""
    config: dict[str, Any] = {
        "event": "start",
        "dry_run": not options.apply,
        "interval_s": every.total_seconds() if every else None,
        "max_deletions": options.max_deletions,
        "warn_before_s": policy.warn_before.total_seconds(),
        "own_namespace": policy.own_namespace,
        "protected_names": sorted(policy.protected_names),
        "protected_regex": policy.protected_pattern.pattern if policy.protected_pattern else None,
        "page_size": options.page_size,
    }
    note(json.dumps(config, separators=(",", ":")))
    if not options.apply:
        note("**DRY-RUN**: nothing will be warned or deleted; run with --apply to act")


def _summarise(report: Report, options: Options) -> None:
    results = Counter(o.result for o in report.outcomes)
    summary = {"event": "pass", "dry_run": not options.apply, "seen": report.seen, "due": report.due}
    summary |= {"capped": report.capped, "errors": report.errors, "results": dict(sorted(results.items()))}
    note(json.dumps(summary, separators=(",", ":")))
    if report.capped:
        note(
            f"{report.due} namespaces are due but --max-deletions is {options.max_deletions}: "
            f"{report.capped} left for a later pass (the most overdue go first)"
        )


def register(app: typer.Typer) -> None:
    app.command("reap")(reap)
