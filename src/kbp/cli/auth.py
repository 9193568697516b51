"""kbp auth: the OIDC issuers the API server trusts, and the token plugin developers' kubeconfigs run."""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kbp.cli.options import Output, exits
from kbp.output import Format

if TYPE_CHECKING:
    from kbp.auth.issuers import Issuer

app = typer.Typer(help="External identity: OIDC issuers and the kubectl token plugin.", no_args_is_help=True)
oidc = typer.Typer(help="The OIDC issuers in an AuthenticationConfiguration file.", no_args_is_help=True)
managed = typer.Typer(
    help="What to run on EKS and AKS, whose API server kbp cannot configure.", no_args_is_help=True
)
app.add_typer(oidc, name="oidc")
app.add_typer(managed, name="managed")

AuthConfig = Annotated[
    Path | None,
    typer.Option(
        "--auth-config",
        help="The AuthenticationConfiguration file (default: $KBP_STATE/cluster/authentication.yaml).",
    ),
]
IssuerName = Annotated[
    str, typer.Argument(help="The issuer's name: the prefix NAME: of its users and groups.")
]
IssuerUrl = Annotated[str, typer.Option("--issuer", help="The issuer URL (https).")]
ClientId = Annotated[str, typer.Option("--client-id", help="The OAuth client ID (the tokens' audience).")]
CaFile = Annotated[
    Path | None, typer.Option("--ca-file", help="PEM CA of the issuer (default: system trust).")
]


def config_path(given: Path | None) -> Path:
    from kbp.cluster.layout import Layout  # noqa: PLC0415

    return given or Layout.default().authentication_config


@oidc.command("add")
def add(
    name: IssuerName,
    *,
    preset: Annotated[
        str, typer.Option("--preset", help="generic, entra, okta, google, keycloak or dex.")
    ] = "generic",
    issuer: Annotated[str | None, typer.Option("--issuer", help="The issuer URL (https).")] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="Entra ID tenant (directory) ID.")] = None,
    client_id: Annotated[str | None, typer.Option("--client-id", help="The OAuth client ID.")] = None,
    audience: Annotated[
        list[str] | None, typer.Option("--audience", help="Another accepted audience.")
    ] = None,
    username_claim: Annotated[
        str | None, typer.Option("--username-claim", help="Claim naming the user.")
    ] = None,
    groups_claim: Annotated[
        str | None, typer.Option("--groups-claim", help="Claim listing groups ('' for none).")
    ] = None,
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="A CEL expression on `claims` that must hold.")
    ] = None,
    ca_file: CaFile = None,
    auth_config: AuthConfig = None,
    output: Output = Format.table,
) -> None:
    """Trust an issuer: write its `jwt` entry (prefixed claims, CEL rules); the API server reloads it."""
    from kbp.auth import authconfig, presets  # noqa: PLC0415
    from kbp.output import emit_one, note  # noqa: PLC0415

    path = config_path(auth_config)
    with _errors():
        choices = presets.Choices(
            name=name,
            preset=preset,
            issuer=issuer,
            tenant=tenant,
            client_id=client_id,
            username_claim=username_claim,
            groups_claim=groups_claim,
            ca_pem=_read_ca(ca_file),
            extra_audiences=tuple(audience or ()),
            rules=tuple(rule or ()),
        )
        found = presets.issuer(choices)
        doc, changed = authconfig.with_issuer(authconfig.read(path), found)
        if changed:
            authconfig.write(path, doc)
    emit_one(_row(found) | {"file": str(path), "changed": changed}, fmt=output)
    for line in found.notes:
        note(line)
    if output is Format.table:
        note(
            f"the API server reloads {path.name} when it changes (a 1-minute poll at the latest); no restart"
        )


@oidc.command("remove")
def remove(name: IssuerName, *, auth_config: AuthConfig = None) -> None:
    """Stop trusting an issuer; its users' tokens are refused once the API server reloads the file."""
    from kbp.auth import authconfig, issuers  # noqa: PLC0415
    from kbp.output import note  # noqa: PLC0415

    path = config_path(auth_config)
    with _errors():
        issuers.check_name(name)
        doc, changed = authconfig.without_issuer(authconfig.read(path), name)
        if changed:
            authconfig.write(path, doc)
    note(
        f'issuer "{name}": removed from {path}'
        if changed
        else f'issuer "{name}": not in {path}; nothing to do'
    )


@oidc.command("list")
def list_(auth_config: AuthConfig = None, output: Output = Format.table) -> None:
    """The issuers in the file: URL, client ID, claims and prefix."""
    from kbp.auth import authconfig  # noqa: PLC0415
    from kbp.output import emit  # noqa: PLC0415

    path = config_path(auth_config)
    with _errors():
        found = authconfig.list_issuers(authconfig.read(path))
    columns = [
        ("name", "name"),
        ("issuer", "issuer"),
        ("client id", "clientId"),
        ("username", "usernameClaim"),
        ("groups", "groupsClaim"),
        ("prefix", "prefix"),
    ]
    emit([_row(i) for i in found], kind="Issuer", columns=columns, fmt=output, title=str(path))


@managed.command("eks")
def eks(
    name: IssuerName,
    *,
    cluster: Annotated[str, typer.Option("--cluster", help="The EKS cluster's name.")],
    region: Annotated[str, typer.Option("--region", help="Its AWS region.")],
    principal_arn: Annotated[
        str | None, typer.Option("--principal-arn", help="Also map this IAM principal (access entry).")
    ] = None,
    group: Annotated[
        list[str] | None, typer.Option("--group", help="Kubernetes group of that principal.")
    ] = None,
    auth_config: AuthConfig = None,
) -> None:
    """Print an eksctl ClusterConfig associating the issuer, the AWS CLI equivalent, and an access entry."""
    import shlex  # noqa: PLC0415

    import yaml  # noqa: PLC0415

    from kbp.auth import authconfig  # noqa: PLC0415
    from kbp.auth import managed as eks_aks  # noqa: PLC0415
    from kbp.output import note  # noqa: PLC0415

    path = config_path(auth_config)
    with _errors():
        found = authconfig.find(authconfig.read(path), name, path=path)
    sys.stdout.write(
        yaml.safe_dump(eks_aks.eksctl_config(found, cluster=cluster, region=region), sort_keys=False)
    )
    note("# or: " + shlex.join(eks_aks.eks_associate_command(found, cluster=cluster, region=region)))
    if principal_arn:
        entry = eks_aks.eks_access_entry(
            cluster=cluster, principal_arn=principal_arn, groups=tuple(group or ())
        )
        note("# access entry: " + shlex.join(entry))
    for line in eks_aks.eks_caveats(found):
        note(line)


@managed.command("aks")
def aks(
    *,
    resource_group: Annotated[
        str, typer.Option("--resource-group", help="The AKS cluster's resource group.")
    ],
    cluster: Annotated[str, typer.Option("--cluster", help="The AKS cluster's name.")],
    admin_group: Annotated[
        str, typer.Option("--admin-group", help="Entra group object ID of cluster admins.")
    ],
) -> None:
    """Print the az commands for Entra ID integration, and how developers log in."""
    import shlex  # noqa: PLC0415

    from kbp.auth import managed as eks_aks  # noqa: PLC0415
    from kbp.output import note  # noqa: PLC0415

    for command in eks_aks.aks_commands(
        resource_group=resource_group, cluster=cluster, admin_group=admin_group
    ):
        sys.stdout.write(shlex.join(command) + "\n")
    for line in eks_aks.AKS_NOTES:
        note(line)


@app.command("token")
def token(*, issuer: IssuerUrl, client_id: ClientId, ca_file: CaFile = None) -> None:
    """The kubectl exec plugin: print an ExecCredential with a cached, refreshed or new ID token."""
    from kbp.auth import plugin  # noqa: PLC0415 -- `kbp auth token` itself bypasses Typer (main.py)

    with _errors():
        sys.stdout.write(plugin.run(issuer, client_id, ca_file) + "\n")


@app.command("login")
def login(
    *,
    issuer: IssuerUrl,
    client_id: ClientId,
    ca_file: CaFile = None,
    username: Annotated[
        str | None,
        typer.Option(
            "--username", help="Use the password grant (Dex, Keycloak); the password is read from stdin."
        ),
    ] = None,
) -> None:
    """Log in now (device code, or --username with the password on stdin) and cache the tokens."""
    from kbp.auth import credentials, plugin, tokens  # noqa: PLC0415
    from kbp.output import note  # noqa: PLC0415

    with _errors():
        client = plugin.client(issuer, client_id, ca_file)
        remote = tokens.Issuer(client)
        try:
            if username is not None:
                password = sys.stdin.readline().rstrip("\n")
                found = remote.password(username, password)
            else:
                found = plugin.device_login(remote)
        finally:
            remote.close()
        credentials.save(credentials.cache_path(client, credentials.cache_dir()), found)
    claims = tokens.claims(found.id_token)
    note(f"logged in to {issuer} as {claims.get('email') or claims.get('sub')}")


def _read_ca(path: Path | None) -> str | None:
    from kbp.auth import plugin  # noqa: PLC0415

    return plugin.read_ca(path)


def _row(issuer: Issuer) -> dict[str, object]:
    return {
        "name": issuer.name,
        "issuer": issuer.url,
        "clientId": issuer.client_id,
        "audiences": [issuer.client_id, *issuer.extra_audiences],
        "usernameClaim": issuer.username_claim,
        "groupsClaim": issuer.groups_claim,
        "prefix": issuer.prefix,
        "rules": [r.expression for r in issuer.rules],
        "customCA": issuer.ca_pem is not None,
    }


def _errors() -> AbstractContextManager[None]:
    from kbp.auth import AuthError, InvalidAuthError  # noqa: PLC0415

    return exits(bad=(InvalidAuthError,), failed=(AuthError,))
