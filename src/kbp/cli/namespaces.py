"""kbp ns: namespaces with owner, team, purpose and a kube-janitor TTL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from kbp.cli.fleetwide import DEFAULT_FLEET_FILE, FleetFile, FleetSelector, Target, targets
from kbp.cli.options import Context, Kubeconfig, Output, client, exits, fail
from kbp.namespaces.isolation import Level
from kbp.output import Format, emit, emit_one

app = typer.Typer(help="Namespaces with owners and TTLs (kube-janitor's annotations).", no_args_is_help=True)

COLUMNS = [
    ("name", "name"),
    ("owner", "owner"),
    ("team", "team"),
    ("left", "left"),
    ("deadline", "deadline"),
    ("phase", "phase"),
    ("purpose", "purpose"),
]
Ttl = Annotated[
    str | None,
    typer.Option("--ttl", help="Lifetime: one number and a unit s/m/h/d/w (7d, 12h), or forever."),
]
Expires = Annotated[
    str | None,
    typer.Option("--expires", help="Expiry: RFC 3339 (2026-12-31T18:00:00Z) or a date (2026-12-31)."),
]


@app.command()
def create(
    *,
    name: Annotated[str, typer.Argument(help="Namespace name (DNS-1123 label).")],
    owner: Annotated[str, typer.Option("--owner", help="Who owns it (a label value, e.g. alice).")],
    team: Annotated[str, typer.Option("--team", help="The owner's team (a label value).")],
    purpose: Annotated[str, typer.Option("--purpose", help="What it is for, in a few words.")],
    ttl: Ttl = None,
    expires: Expires = None,
    pod_security: Annotated[
        Level,
        typer.Option(
            "--pod-security",
            help="Pod Security level: restricted, or baseline for a namespace deploy/tenancy exempts.",
        ),
    ] = Level.restricted,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    output: Output = Format.table,
) -> None:
    """Create (or update) a namespace kbp manages; its TTL counts from creation. Needs --ttl or --expires.

    It gets Pod Security (enforce, audit, warn) pinned to the cluster's minor version and
    default-deny NetworkPolicies that let in DNS, the namespace itself and the gateway."""
    from kbp import kube  # noqa: PLC0415 -- lightkube is slow to import
    from kbp.namespaces import catalog  # noqa: PLC0415
    from kbp.namespaces.manifests import NamespaceSpec  # noqa: PLC0415
    from kbp.namespaces.validation import check_spec  # noqa: PLC0415

    spec = NamespaceSpec(
        name=name,
        owner=owner,
        team=team,
        purpose=purpose,
        ttl=ttl,
        expires=expires,
        pod_security=pod_security,
    )
    try:
        check_spec(spec)
    except ValueError as exc:
        raise fail(str(exc), 2) from exc
    if ttl is None and expires is None:
        raise fail(f'namespace "{name}": give --ttl (e.g. 7d, or forever) or --expires (e.g. 2026-12-31)', 2)
    with client(kubeconfig, context) as api:
        try:
            created = catalog.create(api, spec)
        except (catalog.CatalogError, kube.KubeError) as exc:
            raise fail(str(exc)) from exc
        emit_one(catalog.row(created, _now()), fmt=output)


@app.command()
def extend(
    *,
    name: Annotated[str, typer.Argument(help="Namespace name.")],
    ttl: Ttl = None,
    expires: Expires = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    output: Output = Format.table,
) -> None:
    """Move the deadline: --ttl 7d is seven days from now (written as janitor/expires); clears a warning."""
    from kbp import kube  # noqa: PLC0415
    from kbp.namespaces import catalog  # noqa: PLC0415

    if (ttl is None) == (expires is None):
        raise fail(f'namespace "{name}": give exactly one of --ttl (e.g. 7d, forever) and --expires', 2)
    now = _now()
    with client(kubeconfig, context) as api:
        with exits(bad=(ValueError,), failed=(catalog.CatalogError, kube.KubeError)):
            extended = catalog.extend(api, name, now=now, ttl_value=ttl, expires=expires)
        emit_one(catalog.row(extended, now), fmt=output)


@app.command("list")
def list_(
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    output: Output = Format.table,
    fleet: FleetSelector = None,
    fleet_file: FleetFile = DEFAULT_FLEET_FILE,
) -> None:
    """kbp's namespaces with the time each has left, soonest first; with --fleet, on every cluster picked."""
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    from kbp import kube  # noqa: PLC0415
    from kbp.namespaces import catalog  # noqa: PLC0415
    from kbp.output import note  # noqa: PLC0415

    if fleet is None:
        with client(kubeconfig, context) as api:
            try:
                items = catalog.rows(api, _now())
            except kube.KubeError as exc:
                raise fail(str(exc)) from exc
        emit(items, kind="Namespace", columns=COLUMNS, fmt=output)
        return
    found, now = targets(fleet, fleet_file, kubeconfig, context), _now()

    def one(t: Target) -> list[dict[str, object]] | str:
        try:
            with kube.connect(t.kubeconfig, context=t.context) as api:
                return [{"cluster": t.cluster, **r} for r in catalog.rows(api, now)]
        except kube.KubeError as exc:
            return f"cluster {t.cluster}: {exc}"

    with ThreadPoolExecutor(max_workers=len(found)) as pool:
        answers = list(pool.map(one, found))
    items = sorted(
        (row for a in answers if not isinstance(a, str) for row in a),
        key=lambda r: (r["secondsLeft"] is None, r["secondsLeft"] or 0, r["cluster"], r["name"]),
    )
    emit(items, kind="Namespace", columns=[("cluster", "cluster"), *COLUMNS], fmt=output)
    errors = [a for a in answers if isinstance(a, str)]
    for error in errors:
        note(f"error: {error}")
    if errors:
        raise typer.Exit(1)


@app.command()
def describe(
    *,
    name: Annotated[str, typer.Argument(help="Namespace name.")],
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    output: Output = Format.table,
) -> None:
    """One namespace's metadata, time left, finalizers, and what `kbp reap` would do with it now."""
    from kbp import kube  # noqa: PLC0415
    from kbp.namespaces import catalog  # noqa: PLC0415
    from kbp.namespaces.policy import Policy  # noqa: PLC0415

    bad, failed = (ValueError,), (catalog.CatalogError, kube.KubeError)
    with client(kubeconfig, context) as api, exits(bad=bad, failed=failed):
        policy = Policy(own_namespace=kube.context_namespace(kubeconfig, context=context))
        item = catalog.describe(api, name, now=_now(), policy=policy)
    emit_one(item, fmt=output)


def _now() -> datetime:
    return datetime.now(UTC)
