"""kbp user: onboard developers with a client certificate, a namespace of their own and a kubeconfig."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kbp.cli import onboarding
from kbp.cli.auth import AuthConfig
from kbp.cli.fleetwide import DEFAULT_FLEET_FILE, FleetFile, FleetSelector, targets
from kbp.cli.options import Context, Kubeconfig, Output, client, fail
from kbp.output import Format

if TYPE_CHECKING:
    from kbp.users.flow import AddResult

app = typer.Typer(
    help="Onboard and offboard developers (CSR API, namespace, RBAC, quota).", no_args_is_help=True
)

UserNamespace = Annotated[
    str | None, typer.Option("--namespace", "-n", help="The user's namespace (default: dev-NAME).")
]
Out = Annotated[
    Path | None, typer.Option("--out", help="Where to write the kubeconfig (default: ./NAME.kubeconfig).")
]
CertTtl = Annotated[
    str, typer.Option("--cert-ttl", help="Certificate lifetime (at least 10m; e.g. 12h, 30d).")
]
RenewBefore = Annotated[
    str | None,
    typer.Option(
        "--renew-before",
        help="Renew when the certificate expires within this (default: the last third of its lifetime).",
    ),
]
NoApprove = Annotated[
    bool,
    typer.Option(
        "--no-approve", help="Submit the CSR and wait for someone else to approve it (separation of duties)."
    ),
]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds to wait for the signed certificate.")]


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="User name: the certificate's CN, a DNS label.")],
    *,
    team: Annotated[str, typer.Option("--team", help="The user's team (a DNS label).")],
    groups: Annotated[
        str, typer.Option("--groups", help="Comma-separated groups (the certificate's O).")
    ] = "",
    cert_ttl: CertTtl = "30d",
    quota: Annotated[str, typer.Option("--quota", help="Quota profile: small, medium or large.")] = "small",
    out: Out = None,
    namespace: UserNamespace = None,
    ttl: Annotated[
        str, typer.Option("--ttl", help="The namespace's TTL (e.g. 30d), or forever.")
    ] = "forever",
    renew_before: RenewBefore = None,
    no_approve: NoApprove = False,
    timeout: Timeout = 60.0,
    oidc: Annotated[
        str | None,
        typer.Option("--oidc", help="Onboard through this issuer (kbp auth oidc list): no key, no CSR."),
    ] = None,
    identity: Annotated[
        str | None,
        typer.Option("--identity", help="With --oidc: the username claim's value (default: NAME)."),
    ] = None,
    auth_config: AuthConfig = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    output: Output = Format.table,
    fleet: FleetSelector = None,
    fleet_file: FleetFile = DEFAULT_FLEET_FILE,
) -> None:
    """Onboard NAME: certificate via the CSR API, namespace with edit rights, quota, LimitRange, kubeconfig.

    Running it again changes nothing, unless the certificate is near its end: then it is renewed.
    With --fleet, on every cluster picked, one kubeconfig each (NAME-CLUSTER.kubeconfig).
    With --oidc the kubeconfig runs `kbp auth token` instead and holds no secret.
    """
    from kbp.output import note  # noqa: PLC0415
    from kbp.users import InvalidUserError, flow, inputs  # noqa: PLC0415 -- keeps `--help` fast

    if oidc is not None:
        if fleet is not None:
            raise fail("--oidc onboards on one cluster; run it per cluster instead of --fleet", 2)
        onboarding.add_oidc(name, oidc, identity, team=team, groups=groups, quota=quota, out=out,
                            namespace=namespace, ttl=ttl, timeout=timeout, auth_config=auth_config,
                            kubeconfig=kubeconfig, context=context, output=output)  # fmt: skip
        return
    with onboarding.errors():
        spec = inputs.user_spec(
            name, team=team, groups=groups, quota=quota, namespace=namespace, cert_ttl=cert_ttl, ttl=ttl
        )
        found = targets(fleet, fleet_file, kubeconfig, context)
        if out is not None and len(found) > 1:
            raise fail("--out names one file; with --fleet each cluster gets NAME-CLUSTER.kubeconfig", 2)
        plans = []
        for t in found:
            options = flow.AddOptions(
                out=out or Path(f"{name}-{t.cluster}.kubeconfig" if t.cluster else f"{name}.kubeconfig"),
                renew_before=inputs.duration("--renew-before", renew_before) if renew_before else None,
                approve=not no_approve,
                timeout_s=timeout,
            )
            flow.local_credentials(options.out, name)  # refuse a foreign file before any API call
            plans.append((t, options))
        failed: list[onboarding.Failure] = []
        if fleet is None:
            items = [onboarding.run_add(t.kubeconfig, t.context, onboarding.adder(spec, o)) for t, o in plans]
        else:
            items, failed = onboarding.add_on_each(spec, plans)
    onboarding.show_added(items, output, fleet=fleet is not None)
    if failed:
        for cluster, exc in failed:
            note(f"error: cluster {cluster}: {exc}")
        note(f"{len(failed)} of {len(plans)} clusters failed: {', '.join(c for c, _ in failed)}")
        raise typer.Exit(2 if all(isinstance(e, InvalidUserError) for _, e in failed) else 1)


@app.command()
def renew(
    name: Annotated[str, typer.Argument(help="An onboarded user.")],
    *,
    cert_ttl: CertTtl = "30d",
    out: Out = None,
    namespace: Annotated[
        str | None, typer.Option("--namespace", "-n", help="Which of the user's namespaces, if several.")
    ] = None,
    no_approve: NoApprove = False,
    timeout: Timeout = 60.0,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    output: Output = Format.table,
) -> None:
    """Issue NAME a new certificate now (team, groups and quota as recorded) and rewrite the kubeconfig."""
    from kbp.users import flow, inputs, names  # noqa: PLC0415

    with onboarding.errors():
        names.check_user(name)
        inputs.certificate_ttl(cert_ttl)
        options = flow.AddOptions(
            out=out or Path(f"{name}.kubeconfig"), force_renew=True, approve=not no_approve, timeout_s=timeout
        )
        flow.local_credentials(options.out, name)

        def run(api: Any, target: Any) -> AddResult:
            record = flow.find_record(api, name, namespace)
            spec = inputs.user_spec(
                name,
                team=record.team,
                groups=",".join(record.groups),
                quota=record.quota or "small",
                namespace=record.namespace,
                cert_ttl=cert_ttl,
            )
            return flow.add(api, target, spec, options, **onboarding.hooks())

        item = onboarding.run_add(kubeconfig, context, run)
    onboarding.show_added([item], output, fleet=False)


@app.command()
def remove(
    name: Annotated[str, typer.Argument(help="An onboarded user.")],
    *,
    delete_namespace: Annotated[
        bool,
        typer.Option("--delete-namespace", help="Also delete the user's namespace and everything in it."),
    ] = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    output: Output = Format.table,
) -> None:
    """Take NAME's bindings away (their certificate cannot be revoked; it grants nothing without them)."""
    from kbp.namespaces.ttl import format_instant  # noqa: PLC0415
    from kbp.output import emit_one, note  # noqa: PLC0415
    from kbp.users import names, offboarding  # noqa: PLC0415

    with onboarding.errors():
        names.check_user(name)
        with client(kubeconfig, context, field_manager=onboarding.FIELD_MANAGER) as api:
            done = offboarding.remove(api, name, delete_namespace=delete_namespace)
    expires = format_instant(done.cert_expires) if done.cert_expires else None
    emit_one(
        {
            "name": done.user,
            "removedBindings": list(done.bindings),
            "deletedNamespaces": list(done.namespaces),
            "certExpires": expires,
            "groups": list(done.groups),
            "identities": list(done.identities),
        },
        fmt=output,
    )
    if not done.bindings and not done.namespaces:
        note(f'user "{name}": nothing to remove (no RoleBinding or namespace of theirs managed by kbp)')
    when = (
        f"stays valid until {expires}"
        if expires
        else "stays valid until it expires (kbp has no record of when)"
    )
    if done.identities:
        note(
            f"{name} logged in as {', '.join(done.identities)}: disable the account at the IdP to stop it "
            "authenticating at all; kbp can only take the cluster's bindings away"
        )
        return
    groups = f" and whatever is bound to its groups ({', '.join(done.groups)})" if done.groups else ""
    note(
        f"A client certificate cannot be revoked: {name}'s {when}. Without kbp's bindings it still "
        f"authenticates, with the rights the cluster gives every authenticated user{groups}."
    )


@app.command("list")
def list_(
    *,
    expiring_within: Annotated[
        str, typer.Option("--expiring-within", help="Flag certificates that expire within this.")
    ] = "7d",
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    output: Output = Format.table,
) -> None:
    """Every certificate user, OIDC user and IdP group, with kind, namespace and certificate expiry."""
    from kbp.output import emit  # noqa: PLC0415
    from kbp.users import federated, inputs, records  # noqa: PLC0415

    with onboarding.errors():
        window = inputs.duration("--expiring-within", expiring_within)
        with client(kubeconfig, context, field_manager=onboarding.FIELD_MANAGER) as api:
            found = records.list_users(api) + federated.list_teams(api)
    now = dt.datetime.now(dt.UTC)
    rows = [records.row(r, now=now, window=window) for r in records.expiring_first(found)]
    for r in rows:
        r["flag"] = "EXPIRED" if r["expired"] else "RENEW" if r["expiring"] else ""
    emit(
        rows,
        kind="User",
        columns=[
            ("name", "name"),
            ("kind", "kind"),
            ("identity", "identity"),
            ("team", "team"),
            ("namespace", "namespace"),
            ("groups", "groups"),
            ("cert expires", "certExpires"),
            ("left", "expiresIn"),
            ("", "flag"),
        ],
        fmt=output,
    )
