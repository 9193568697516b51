"""The calls behind `kbp user` and `kbp team`: onboarding a user on one cluster or across a fleet,
by certificate or through an OIDC issuer, and what it prints; how kbp.users' errors exit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbp.cli.fleetwide import Target
from kbp.cli.options import client, exits
from kbp.output import Format

if TYPE_CHECKING:
    from kbp.users.flow import AddResult

Failure = tuple[str, Exception]  # (cluster, what went wrong there)

# Objects `kbp user` applies are owned by this field manager, so its applies never remove fields
# another kbp command (`kbp ns extend`) set on the same object.
FIELD_MANAGER = "kbp-user"


def add_on_each(spec: Any, plans: list[tuple[Target, Any]]) -> tuple[list[dict[str, Any]], list[Failure]]:
    """Onboard on every cluster in turn; one that fails is named and the others still get the user."""
    from kbp import kube  # noqa: PLC0415
    from kbp.users import UserError  # noqa: PLC0415

    items: list[dict[str, Any]] = []
    failed: list[Failure] = []
    for t, o in plans:
        try:
            items.append(run_add(t.kubeconfig, t.context, adder(spec, o), cluster=t.cluster))
        except (UserError, kube.KubeError) as exc:
            failed.append((str(t.cluster), exc))
    return items, failed


def add_oidc(
    name: str, issuer_name: str, identity: str | None, *, team: str, groups: str, quota: str,
    out: Path | None, namespace: str | None, ttl: str, timeout: float, auth_config: Path | None,
    kubeconfig: Path | None, context: str | None, output: Format,
) -> None:  # fmt: skip
    from dataclasses import replace  # noqa: PLC0415

    from kbp import kube  # noqa: PLC0415
    from kbp.auth import AuthError, authconfig  # noqa: PLC0415
    from kbp.cli.auth import config_path  # noqa: PLC0415
    from kbp.output import emit_one, note  # noqa: PLC0415
    from kbp.users import InvalidUserError, federated, flow, inputs  # noqa: PLC0415

    path = config_path(auth_config)
    with errors():
        if groups:
            raise InvalidUserError(
                "--groups: the IdP sends an OIDC user's groups; bind groups with kbp team add"
            )
        try:
            issuer = authconfig.find(authconfig.read(path), issuer_name, path=path)
        except AuthError as exc:
            raise InvalidUserError(str(exc)) from exc
        who = federated.check_identity(identity or name)
        spec = replace(
            inputs.user_spec(
                name, team=team, groups="", quota=quota, namespace=namespace, cert_ttl="30d", ttl=ttl
            ),
            identity=issuer.username(who),
        )
        target_out = out or Path(f"{name}.kubeconfig")
        server = kube.server(kubeconfig, context=context)
        with client(kubeconfig, context, field_manager=FIELD_MANAGER) as api:
            record = federated.add_user(
                api, flow.endpoint(api, server), spec, issuer, out=target_out, timeout_s=timeout
            )
    emit_one(
        {
            "name": record.name,
            "kind": record.kind,
            "identity": record.identity,
            "issuer": issuer.url,
            "team": record.team,
            "namespace": record.namespace,
            "quota": record.quota,
            "kubeconfig": str(target_out),
        },
        fmt=output,
    )
    if output is Format.table:
        note(f"try: KUBECONFIG={target_out} kubectl auth whoami   (kbp auth token logs in on first use)")


def hooks() -> dict[str, Any]:
    from kbp.output import progress  # noqa: PLC0415

    return {"now": lambda: dt.datetime.now(dt.UTC), "waiting": progress}


def adder(spec: Any, options: Any) -> Callable[[Any, Any], AddResult]:
    from kbp.users import flow  # noqa: PLC0415

    return lambda api, target: flow.add(api, target, spec, options, **hooks())


def run_add(
    kubeconfig: Path | None,
    context: str | None,
    run: Callable[[Any, Any], AddResult],
    *,
    cluster: str | None = None,
) -> dict[str, Any]:
    from kbp import kube  # noqa: PLC0415
    from kbp.namespaces.ttl import format_instant  # noqa: PLC0415
    from kbp.output import note  # noqa: PLC0415
    from kbp.users import flow  # noqa: PLC0415

    server = kube.server(kubeconfig, context=context)
    # KubeError, not an exit: across a fleet the caller names the cluster and goes on.
    with kube.connect(kubeconfig, context=context, field_manager=FIELD_MANAGER) as api:
        result = run(api, flow.endpoint(api, server))
    r = result.record
    if not result.changed:
        note(f'user "{r.name}"{f" on cluster {cluster}" if cluster else ""}: nothing changed')
    return {
        **({"cluster": cluster} if cluster else {}),
        "name": r.name,
        "team": r.team,
        "namespace": r.namespace,
        "groups": list(r.groups),
        "quota": r.quota,
        "certExpires": format_instant(r.cert_expires) if r.cert_expires else None,
        "certificate": "issued" if result.issued else "kept",
        "reason": result.reason,
        "csr": result.csr,
        "kubeconfig": str(result.kubeconfig),
        "changed": list(result.changed),
    }


def show_added(items: list[dict[str, Any]], output: Format, *, fleet: bool) -> None:
    """One user as `key: value` (kbp user add's output); across a fleet, a List with a cluster column."""
    from kbp.output import emit, emit_one, note  # noqa: PLC0415

    if fleet:
        keys = ("cluster", "name", "namespace", "certExpires", "certificate", "kubeconfig", "changed")
        emit(items, kind="User", columns=[(k, k) for k in keys], fmt=output)
    else:
        emit_one(items[0], fmt=output)
    if output is Format.table:
        for item in items:
            note(f"try: KUBECONFIG={item['kubeconfig']} kubectl auth whoami")


def errors() -> AbstractContextManager[None]:
    """Bad input exits 2; a failed API call or certificate exits 1; both print `error: ...`."""
    from kbp import kube  # noqa: PLC0415
    from kbp.users import InvalidUserError, UserError  # noqa: PLC0415

    return exits(bad=(InvalidUserError,), failed=(UserError, kube.KubeError))
