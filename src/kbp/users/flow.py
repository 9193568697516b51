"""The ordered API calls behind `kbp user add` and `renew`.

add: check the file at --out (no API call yet) → read the namespace and what is in it → keep the
certificate, or make a key and CSR, approve, wait for the signature and verify it → create the
namespace (restricted Pod Security) if it is missing → apply the quota, the LimitRange, the
NetworkPolicies and the RoleBinding → write the
kubeconfig. Nothing is written before the certificate is issued, and a failure undoes the objects
this run created, so a denied CSR leaves no half-made user behind.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import os
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kbp import kube, metadata
from kbp.namespaces import catalog, isolation
from kbp.users import CertificateError, InvalidUserError, UserError, keys, kubeconfig, plans, records
from kbp.users.kubeconfig import Credentials, Endpoint
from kbp.users.plans import UserSpec

Waiting = Callable[[str], AbstractContextManager[None]]
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


@dataclass
class Undo:
    """What this run created, deleted in reverse if the run fails."""

    created: list[tuple[str, str, str, str | None]] = field(default_factory=list)

    def run(self, client: kube.KubeClient) -> list[str]:
        failures = []
        for api_version, kind, name, namespace in reversed(self.created):
            try:
                kube.delete(client, api_version, kind, name, namespace)
            except kube.NotFoundError:
                pass
            except kube.KubeError as exc:
                failures.append(f"{kind} {name}: {exc}")
        return failures


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
    waiting: Waiting = lambda _: contextlib.nullcontext(),
) -> AddResult:
    found = local_credentials(options.out, spec.name)
    at = now()  # one reading of the injected clock for the whole decision
    before = existing(client, spec, at)
    check_owner(before["Namespace", spec.namespace], spec)
    decision = plans.decide_certificate(
        found, spec=spec, endpoint=target, now=at, renew_before=options.renew_before
    )
    if options.force_renew:
        decision = plans.CertDecision(True, "renewal requested")
    undo = Undo()
    try:
        csr: str | None = None
        if decision.renew:
            cert_pem, key_pem, csr = _issue(client, spec, options, waiting, undo)
        else:
            assert found is not None  # decide_certificate renews when there is no kubeconfig
            cert_pem, key_pem = found.cert_pem, found.key_pem
        expires = keys.read_certificate(cert_pem).not_after
        changed = converge(client, spec, expires, before, undo)
        wait_for_access(client, spec.name, spec.namespace, allowed=True, timeout_s=options.timeout_s)
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


def wait_for_access(
    client: kube.KubeClient, user: str, namespace: str, *, allowed: bool, timeout_s: float
) -> None:
    """Return once the authorizer's view of the bindings has caught up: the user can (or can no
    longer) create Deployments in the namespace. RBAC reads bindings from a cache, so a request
    sent the instant a binding is written could still be judged on the old rules."""

    def settled() -> bool | None:
        now = kube.can(
            client, user=user, verb="create", resource="deployments", group="apps", namespace=namespace
        )
        return True if now == allowed else None

    kube.wait_for(
        settled,
        timeout=timeout_s,
        what=f"RBAC to {'grant' if allowed else 'revoke'} {user}'s access",
        interval=0.05,
    )


Existing = dict[tuple[str, str], dict[str, Any] | None]  # (kind, name) -> the object, if it exists


def existing(client: kube.KubeClient, spec: UserSpec, at: dt.datetime) -> Existing:
    found = {("Namespace", spec.namespace): kube.find(client, "v1", "Namespace", spec.namespace)}
    for obj in plans.contents(spec, at):
        kind, name = obj["kind"], obj["metadata"]["name"]
        found[kind, name] = kube.find(client, obj["apiVersion"], kind, name, spec.namespace)
    return found


def check_owner(ns: dict[str, Any] | None, spec: UserSpec) -> None:
    labels = (ns or {}).get("metadata", {}).get("labels") or {}
    if ns is None or (
        labels.get(metadata.MANAGED_BY) == metadata.MANAGED_BY_KBP and labels.get(metadata.OWNER) == spec.name
    ):
        return
    owner, manager = labels.get(metadata.OWNER, ""), labels.get(metadata.MANAGED_BY, "")
    raise UserError(
        f'namespace "{spec.namespace}": exists and is not {spec.name}\'s '
        f'(owner "{owner}", managed by "{manager}"); choose another with -n'
    )


def _issue(
    client: kube.KubeClient, spec: UserSpec, options: AddOptions, waiting: Waiting, undo: Undo
) -> tuple[bytes, bytes, str]:
    """A new key (kept here) and a certificate for it from the cluster's client signer."""
    key_pem = keys.new_key()
    manifest = plans.csr_manifest(spec, keys.csr_pem(key_pem, spec.subject), suffix=secrets.token_hex(4))
    name: str = manifest["metadata"]["name"]
    kube.create(client, manifest)
    undo.created.append(("certificates.k8s.io/v1", "CertificateSigningRequest", name, None))
    if options.approve:
        kube.approve_csr(client, name, message=f"kbp user add {spec.name}")
        what = f"CSR {name} to be signed"
    else:
        what = f"someone to approve CSR {name} (kubectl certificate approve {name})"
    try:
        with waiting(f"waiting for {what}"):
            signed = kube.wait_for(
                lambda: _signed(client, name), timeout=options.timeout_s, what=what, interval=0.05
            )
    except kube.WaitTimeoutError as exc:
        if not _approved(client, name):
            raise CertificateError(f"CSR {name}: not approved within {options.timeout_s:g}s") from exc
        # Approved and never issued: what managed clusters do (EKS, aws/containers-roadmap#1604).
        raise CertificateError(
            f"CSR {name}: approved, but no certificate was issued within {options.timeout_s:g}s: this "
            f"cluster does not sign {plans.SIGNER} requests (managed control planes such as EKS never "
            f"do); no user was created. Onboard through the cluster's identity provider instead: "
            f"kbp user add {spec.name} --oidc ISSUER"
        ) from exc
    cert_pem = base64.b64decode(signed)
    cert = keys.read_certificate(cert_pem)
    if cert.subject != spec.subject or cert.public_key_pem != keys.public_key_pem(key_pem):
        raise CertificateError(
            f"CSR {name}: the signed certificate does not match the request ({cert.subject})"
        )
    return cert_pem, key_pem, name


def _approved(client: kube.KubeClient, name: str) -> bool:
    csr = kube.get(client, "certificates.k8s.io/v1", "CertificateSigningRequest", name)
    return kube.condition(csr, "Approved") == "True"


def _signed(client: kube.KubeClient, name: str) -> str | None:
    csr = kube.get(client, "certificates.k8s.io/v1", "CertificateSigningRequest", name)
    for cond in csr.get("status", {}).get("conditions") or []:
        if cond.get("type") in ("Denied", "Failed") and cond.get("status") == "True":
            verdict = "was denied" if cond["type"] == "Denied" else "failed (the signer gave up)"
            detail = ": ".join(p for p in (cond.get("reason"), cond.get("message")) if p)
            raise CertificateError(
                f"CSR {name} {verdict}: {detail or 'no reason given'}; no user was created"
            )
    certificate: str | None = csr.get("status", {}).get("certificate") or None
    return certificate


def converge(
    client: kube.KubeClient,
    spec: UserSpec,
    expires: dt.datetime | None,
    before: Existing,
    undo: Undo,
) -> list[str]:
    """Create the namespace if missing (never re-apply it: `kbp ns` may have changed its TTL since),
    then apply the rest; returns what changed."""
    changed = []
    ns = before["Namespace", spec.namespace]
    version = catalog.pod_security_version(client)
    if ns is None:
        kube.apply(client, plans.namespace(spec, version=version))
        undo.created.append(("v1", "Namespace", spec.namespace, None))
        changed.append(f"Namespace {spec.namespace}")
    else:
        labels = ns["metadata"].get("labels") or {}
        # A namespace `kbp ns create` made for this owner: adopt it with a label of our own, and
        # restricted Pod Security if it has no level yet (one the platform exempted stays as it is).
        adopt = {} if labels.get(metadata.USER) == spec.name else {metadata.USER: spec.name}
        if not isolation.has_pod_security(ns):
            adopt |= isolation.pod_security_labels(isolation.Level.restricted, version)
        if adopt:
            label = {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": spec.namespace, "labels": adopt},
            }
            kube.apply(client, label)
            changed.append(f"Namespace {spec.namespace}")
    for obj in plans.contents(spec, expires):
        previous = before[obj["kind"], obj["metadata"]["name"]]
        change = apply_tracked(client, obj, spec.namespace, previous, undo)
        if change:
            changed.append(change)
    return changed


def apply_tracked(
    client: kube.KubeClient,
    obj: dict[str, Any],
    namespace: str,
    previous: dict[str, Any] | None,
    undo: Undo,
) -> str | None:
    """Apply one object of `namespace`, kept for undo if new; returns what changed, if anything."""
    kind, name = obj["kind"], obj["metadata"]["name"]
    stored = kube.apply(client, obj)
    if previous is None:
        undo.created.append((obj["apiVersion"], kind, name, namespace))
    elif previous["metadata"]["resourceVersion"] == stored["metadata"]["resourceVersion"]:
        return None
    return f"{kind} {namespace}/{name}"


def _write(path: Path, data: bytes) -> bool:
    """Write the kubeconfig unless it already holds exactly this; always leave it 0600."""
    if kubeconfig.read(path) == data:
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o600)
            return True
        return False
    kubeconfig.write_private(path, data)
    return True
