"""The ordered API calls behind `kbp user add` and `renew`.

add: check the file at --out (no API call yet) → read the namespace and what is in it → keep the
certificate, or make a key and CSR, approve, wait for the signature and verify it (`issuing`) →
create the namespace (restricted Pod Security) if it is missing → apply the quota, the LimitRange,
the NetworkPolicies and the RoleBinding (`converging`) → write the kubeconfig. Nothing is written
before the certificate is issued, and a failure undoes the objects this run created, so a denied
CSR leaves no half-made user behind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kbp import kube, metadata
from kbp.users import InvalidUserError, UserError, converging, issuing, keys, kubeconfig, plans, records
from kbp.users.kubeconfig import Credentials, Endpoint
from kbp.users.plans import UserSpec

ROOT_CA_CONFIGMAP = ("kube-public", "kube-root-ca.crt")  # published by the controller-manager


@dataclass(frozen=True)
class AddOptions:
    out: Path
    renew_before: dt.timedelta | None = None  # None: the last third of the certificate's lifetime
    force_renew: bool = False
    approve: bool = True  # False: wait for someone else to approve (separation of duties)
    timeout_s: float = 60.0


@dataclass(frozen=True)
class AddResult:
    record: records.UserRecord
    kubeconfig: Path
    issued: bool  # a new certificate (True) or the one in the kubeconfig kept (False)
    reason: str
    csr: str | None
    changed: tuple[str, ...]


def local_credentials(out: Path, user: str) -> Credentials | None:
    """The user's kubeconfig at `out`; None if there is none; InvalidUserError if `out` is another file."""
    data = kubeconfig.read(out)
    if data is None:
        return None
    found = kubeconfig.parse(data)
    if found is None or found.user != user:
        raise InvalidUserError(
            f'{out}: exists and is not a kubeconfig kbp wrote for user "{user}" '
            "(expected a missing file or an earlier one of theirs; move it or choose another --out)"
        )
    return found


def endpoint(client: kube.KubeClient, server: kube.Server) -> Endpoint:
    """The admin kubeconfig's server and CA; without a CA there, the one the cluster publishes."""
    ca = server.ca_pem
    if ca is None:
        namespace, name = ROOT_CA_CONFIGMAP
        ca = kube.get(client, "v1", "ConfigMap", name, namespace)["data"]["ca.crt"].encode()
    return Endpoint(cluster=server.cluster, server=server.url, ca_pem=ca)


def add(
    client: kube.KubeClient,
    target: Endpoint,
    spec: UserSpec,
    options: AddOptions,
    *,
    now: Callable[[], dt.datetime],
    waiting: issuing.Waiting = lambda _: contextlib.nullcontext(),
) -> AddResult:
    found = local_credentials(options.out, spec.name)
    at = now()  # one reading of the injected clock for the whole decision
    before = converging.existing(client, spec, at)
    converging.check_owner(before["Namespace", spec.namespace], spec)
    decision = plans.decide_certificate(
        found, spec=spec, endpoint=target, now=at, renew_before=options.renew_before
    )
    if options.force_renew:
        decision = plans.CertDecision(True, "renewal requested")
    undo = converging.Undo()
    try:
        csr: str | None = None
        if decision.renew:
            cert_pem, key_pem, csr = issuing.issue(
                client, spec, undo, approve=options.approve, timeout_s=options.timeout_s, waiting=waiting
            )
        else:
            assert found is not None  # decide_certificate renews when there is no kubeconfig
            cert_pem, key_pem = found.cert_pem, found.key_pem
        expires = keys.read_certificate(cert_pem).not_after
        changed = converging.converge(client, spec, expires, before, undo)
        converging.wait_for_access(
            client, spec.name, spec.namespace, allowed=True, timeout_s=options.timeout_s
        )
    except (kube.KubeError, UserError) as exc:
        failures = undo.run(client)
        if failures:
            raise UserError(f"{exc}; and could not undo: {'; '.join(failures)}") from exc
        raise
    document = kubeconfig.build(
        target, user=spec.name, namespace=spec.namespace, cert_pem=cert_pem, key_pem=key_pem
    )
    if _write(options.out, kubeconfig.render(document)):
        changed.append(f"kubeconfig {options.out}")
    record = records.UserRecord(spec.name, spec.team, spec.namespace, spec.groups, expires, spec.quota)
    return AddResult(record, options.out, decision.renew, decision.reason, csr, tuple(changed))


def find_record(client: kube.KubeClient, user: str, namespace: str | None) -> records.UserRecord:
    """The user's record (their kbp RoleBinding); UserError if there is none or it is ambiguous."""
    mine = records.list_users(client, user=user)
    found = [r for r in mine if namespace is None or r.namespace == namespace]
    if not found:
        where = f' in namespace "{namespace}"' if namespace else ""
        raise UserError(
            f'user "{user}": not onboarded{where} (no RoleBinding labelled {metadata.USER}={user})'
        )
    if len(found) > 1:
        spaces = ", ".join(r.namespace for r in found)
        raise InvalidUserError(
            f'user "{user}": onboarded in several namespaces ({spaces}); choose one with -n'
        )
    return found[0]


def _write(path: Path, data: bytes) -> bool:
    """Write the kubeconfig unless it already holds exactly this; always leave it 0600."""
    if kubeconfig.read(path) == data:
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o600)
            return True
        return False
    kubeconfig.write_private(path, data)
    return True
