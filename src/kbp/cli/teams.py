"""kbp team: give an IdP group a namespace (edit rights, quota, LimitRange, owner, TTL) by its group claim."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kbp.cli.auth import AuthConfig
from kbp.cli.onboarding import FIELD_MANAGER, errors
from kbp.cli.options import Context, Kubeconfig, Output, client
from kbp.output import Format

app = typer.Typer(help="Onboard a team by its identity-provider group (OIDC).", no_args_is_help=True)
TeamName = Annotated[str, typer.Argument(help="The team: a DNS label.")]


@app.command()
def add(
    team: TeamName,
    *,
    group: Annotated[str, typer.Option("--group", help="The IdP group, as its groups claim carries it.")],
    oidc: Annotated[
        str, typer.Option("--oidc", help="The issuer (kbp auth oidc list) the group comes from.")
    ],
    quota: Annotated[str, typer.Option("--quota", help="Quota profile: small, medium or large.")] = "medium",
    namespace: Annotated[
        str | None, typer.Option("--namespace", "-n", help="The team's namespace (default: team-TEAM).")
    ] = None,
    ttl: Annotated[
        str, typer.Option("--ttl", help="The namespace's TTL (e.g. 30d), or forever.")
    ] = "forever",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the team's kubeconfig (default: ./TEAM.kubeconfig)."),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait for RBAC to grant.")] = 60.0,
    auth_config: AuthConfig = None,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    output: Output = Format.table,
) -> None:
    """Bind the prefixed IdP group to `edit` in the team's namespace, with quota, LimitRange and TTL.

    Every member uses the same kubeconfig: it holds no secret (`kbp auth token` logs each one in).
    """
    from kbp import kube  # noqa: PLC0415
    from kbp.auth import AuthError, authconfig  # noqa: PLC0415
    from kbp.cli.auth import config_path  # noqa: PLC0415
    from kbp.namespaces.ttl import LifetimeError, parse_ttl  # noqa: PLC0415
    from kbp.output import emit_one, note  # noqa: PLC0415
    from kbp.users import InvalidUserError, federated, flow, names, quotas  # noqa: PLC0415
    from kbp.users import kubeconfig as kubeconfigs  # noqa: PLC0415

    path = config_path(auth_config)
    with errors():
        names.check_team(team)
        ns = names.check_namespace(namespace or f"team-{team}")
        try:
            quotas.profile(quota)
            parse_ttl(ttl)
            issuer = authconfig.find(authconfig.read(path), oidc, path=path)
        except KeyError as exc:
            raise InvalidUserError(f"--quota: {exc.args[0]}") from None
        except LifetimeError as exc:
            raise InvalidUserError(f"--ttl {exc}") from None
        except AuthError as exc:
            raise InvalidUserError(str(exc)) from exc
        if not issuer.groups_claim:
            raise InvalidUserError(f'issuer "{oidc}": sends no groups claim, so no group can be bound')
        spec = federated.TeamSpec(team, federated.check_group(group), issuer, ns, quota, ttl)
        target_out = out or Path(f"{team}.kubeconfig")
        server = kube.server(kubeconfig, context=context)
        with client(kubeconfig, context, field_manager=FIELD_MANAGER) as api:
            record, changed = federated.add_team(api, spec, timeout_s=timeout)
            document = federated.exec_kubeconfig(
                flow.endpoint(api, server), issuer, user=f"{team}-member", namespace=ns
            )
        kubeconfigs.write_private(target_out, kubeconfigs.render(document))
    emit_one(
        {
            "name": record.name,
            "kind": record.kind,
            "identity": record.identity,
            "namespace": record.namespace,
            "quota": record.quota,
            "kubeconfig": str(target_out),
            "changed": changed,
        },
        fmt=output,
    )
    if not changed:
        note(f'team "{team}": nothing changed')


@app.command()
def remove(
    team: TeamName,
    *,
    delete_namespace: Annotated[
        bool,
        typer.Option("--delete-namespace", help="Also delete the team's namespace and everything in it."),
    ] = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    output: Output = Format.table,
) -> None:
    """Take the group's binding away. Members stay in the IdP group: remove them there."""
    from kbp.output import emit_one, note  # noqa: PLC0415
    from kbp.users import federated, names  # noqa: PLC0415

    with errors():
        names.check_team(team)
        with client(kubeconfig, context, field_manager=FIELD_MANAGER) as api:
            bindings, namespaces = federated.remove_team(api, team, delete_namespace=delete_namespace)
    emit_one({"name": team, "removedBindings": bindings, "deletedNamespaces": namespaces}, fmt=output)
    if not bindings and not namespaces:
        note(f'team "{team}": nothing to remove')
    note("kbp cannot change the IdP: people keep the group (and any other cluster's access through it)")


@app.command("list")
def list_(kubeconfig: Kubeconfig = None, context: Context = None, output: Output = Format.table) -> None:
    """Every team onboarded by group: namespace and the prefixed group bound there."""
    from kbp.output import emit  # noqa: PLC0415
    from kbp.users import federated  # noqa: PLC0415

    with errors(), client(kubeconfig, context, field_manager=FIELD_MANAGER) as api:
        found = federated.list_teams(api)
    rows = [{"name": r.name, "namespace": r.namespace, "group": r.identity, "quota": r.quota} for r in found]
    columns = [("team", "name"), ("namespace", "namespace"), ("group", "group"), ("quota", "quota")]
    emit(rows, kind="Team", columns=columns, fmt=output)
