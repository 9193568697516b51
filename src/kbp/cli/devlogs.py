"""kbp dev logs: your release's logs across its pods, from the cluster's log store or the pods."""

# ruff: noqa: PLC0415 -- heavy modules load inside the command, so `kbp --help` stays fast

from __future__ import annotations

import json
from typing import Annotated

import typer

from kbp.cli.options import Context, Kubeconfig, Namespace, Output, client, fail
from kbp.logs.query import Source
from kbp.output import Format


def logs(
    *,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Namespace = None,
    release: Annotated[str, typer.Option("--release", help="Helm release name.")] = "journal",
    query: Annotated[
        str,
        typer.Option(
            "--query",
            "-q",
            help="LogsQL for the store (status:>=500, error); words to match in the pods' logs.",
        ),
    ] = "*",
    since: Annotated[str, typer.Option("--since", help="How far back: 30s, 15m, 2h, 1d.")] = "1h",
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many lines (the latest).")] = 500,
    source: Annotated[
        Source, typer.Option("--source", help="auto: the store if you may read it, else the pods.")
    ] = Source.auto,
    store: Annotated[
        str, typer.Option("--store", help="The log store's Service, NAMESPACE/NAME[:PORT].")
    ] = "logging/victoria-logs:http",
    store_url: Annotated[
        str | None,
        typer.Option("--store-url", help="Read the store at this URL instead (a port-forward, in-cluster)."),
    ] = None,
    output: Output = Format.table,
) -> None:
    """Lines of every pod of your release, oldest first; only your namespace's, whatever the query."""
    from kbp import kube
    from kbp.cli.dev import _developer_namespace
    from kbp.logs import query as q
    from kbp.logs import reading
    from kbp.output import note
    from kbp.platform import devenv

    try:
        window = q.since(since)
        target = reading.Store.parse(store, store_url)
    except q.QueryError as err:
        raise fail(str(err), 2) from err
    try:
        api = client(kubeconfig, context)
        _, ns = _developer_namespace(api, kubeconfig, context, namespace)
        scope = q.Scope(ns, release)
        chosen = source
        if source is Source.auto:
            why_not = reading.store_available(api, target)
            chosen = Source.pods if why_not else Source.store
            if why_not:
                note(f"{why_not}; reading the pods' own logs")
        if chosen is Source.store:
            entries = reading.from_store(api, target, scope, query, since=window, limit=limit, follow=follow)
        else:
            entries = reading.from_pods(api, scope, query, since=window, limit=limit, follow=follow)
        for entry in entries:
            typer.echo(json.dumps(entry) if output is Format.json else q.render(entry))
    except q.QueryError as err:
        raise fail(str(err)) from err
    except (kube.KubeError, devenv.DevError, reading.StoreUnavailableError) as err:
        raise fail(str(err)) from err
    except KeyboardInterrupt:
        raise typer.Exit(0) from None
