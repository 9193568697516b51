"""What cert-manager's gateway-shim makes of a Gateway, as cert-manager v1.19 does it
(pkg/controller/certificate-shim/sync.go): the issuer its annotations name, the listeners it asks
a certificate for, and what it refuses. Pure: no lookups in the set.

The shim reads a Gateway only when it carries `cert-manager.io/issuer` or
`cert-manager.io/cluster-issuer`. Conflicting issuer annotations make it refuse the whole Gateway
(a BadConfig event, no Certificate at all). It considers HTTPS and TLS listeners that are not
Passthrough, and skips (BadConfig event) a listener without a hostname or certificateRefs, or
with a certificateRef to anything but a Secret of the Gateway's own namespace.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kbp.lint import gateways
from kbp.lint.manifests import Manifest, Path, as_list, as_map

GROUP = "cert-manager.io"
ISSUER = "cert-manager.io/issuer"
CLUSTER_ISSUER = "cert-manager.io/cluster-issuer"
ISSUER_KIND = "cert-manager.io/issuer-kind"
ISSUER_GROUP = "cert-manager.io/issuer-group"
BUILTIN_KINDS = frozenset({"Issuer", "ClusterIssuer"})
TLS_PROTOCOLS = frozenset({"HTTPS", "TLS"})
SHIM = "cert-manager's gateway-shim"


@dataclass(frozen=True)
class Fault:
    """Something the shim (or cert-manager's webhook) refuses: the field, why, and the field it
    conflicts with, if any."""

    path: Path
    message: str
    listener: gateways.Listener | None = None  # None: the whole Gateway is refused
    other: Path | None = None


@dataclass(frozen=True)
class IssuerRef:
    """The issuerRef of the Certificate the shim makes (or of a Certificate of the set)."""

    name: str
    kind: str
    group: str
    path: Path  # the field that names the issuer

    @property
    def is_external(self) -> bool:
        """An issuer of another API group (an external issuer): its abilities are not known here."""
        return self.group not in ("", GROUP)

    def fault(self) -> str | None:
        """cert-manager's webhook refuses a cert-manager.io issuerRef of another kind."""
        if self.is_external or self.kind in BUILTIN_KINDS:
            return None
        return (
            f"issuer kind {self.kind!r} is neither Issuer nor ClusterIssuer, and cert-manager's "
            f"webhook refuses such a Certificate (an external issuer needs its API group too)"
        )


@dataclass(frozen=True)
class Reading:
    """The shim's view of one annotated Gateway: what it refuses, the issuer, the listeners it
    asks a certificate for (each with its hostname)."""

    faults: tuple[Fault, ...]
    issuer: IssuerRef | None  # None: the Gateway is refused as a whole
    listeners: tuple[gateways.Listener, ...]


def _annotations(gateway: Manifest) -> dict[str, str]:
    raw = as_map(gateway.metadata.get("annotations"))
    return {str(k): "" if v is None else str(v) for k, v in raw.items()}


def is_annotated(gateway: Manifest) -> bool:
    notes = _annotations(gateway)
    return ISSUER in notes or CLUSTER_ISSUER in notes


def _at(key: str) -> Path:
    return ("metadata", "annotations", key)


def _issuer_faults(notes: Mapping[str, str]) -> list[Fault]:
    """issuerForIngressLike's refusals: the Gateway gets no Certificate at all."""
    faults: list[Fault] = []
    named = CLUSTER_ISSUER if CLUSTER_ISSUER in notes else ISSUER
    if not notes[named]:
        faults.append(Fault(_at(named), f"{named} is empty; {SHIM} needs an issuer name"))
    if ISSUER in notes and CLUSTER_ISSUER in notes:
        message = f"{SHIM} refuses {ISSUER} and {CLUSTER_ISSUER} together"
        faults.append(Fault(_at(CLUSTER_ISSUER), message, other=_at(ISSUER)))
    for key in (ISSUER_GROUP, ISSUER_KIND):
        if CLUSTER_ISSUER in notes and key in notes:
            message = f"{SHIM} refuses {key} beside {CLUSTER_ISSUER} (it goes with {ISSUER})"
            faults.append(Fault(_at(key), message, other=_at(CLUSTER_ISSUER)))
    return faults


def issuer_ref(notes: Mapping[str, str]) -> IssuerRef:
    """The issuerRef the shim writes: the named issuer, its kind and group overridden by the
    issuer-kind and issuer-group annotations."""
    named = CLUSTER_ISSUER if CLUSTER_ISSUER in notes else ISSUER
    kind = "ClusterIssuer" if named == CLUSTER_ISSUER else "Issuer"
    return IssuerRef(
        name=notes[named],
        kind=notes.get(ISSUER_KIND, kind) or kind,
        group=notes.get(ISSUER_GROUP, GROUP) or GROUP,
        path=_at(named),
    )


def asks_certificate(listener: gateways.Listener) -> bool:
    """The listeners the shim considers: HTTPS and TLS, not Passthrough (mode defaults to Terminate)."""
    if listener.body.get("protocol") not in TLS_PROTOCOLS:
        return False
    return bool(as_map(listener.body.get("tls")).get("mode", "Terminate") != "Passthrough")


def _ref_faults(listener: gateways.Listener, index: int, ref: Mapping[str, Any]) -> list[Fault]:
    path = (*listener.path, "tls", "certificateRefs", index)
    namespace = listener.gateway.namespace
    faults: list[Fault] = []
    group, kind = str(ref.get("group") or ""), str(ref.get("kind") or "Secret")
    name = f"certificateRef {ref.get('name', index)!s}"
    if group not in ("", "core"):
        faults.append(Fault((*path, "group"), f"{name} is of group {group!r}, not a core Secret", listener))
    if kind not in ("", "Secret"):
        faults.append(Fault((*path, "kind"), f"{name} is a {kind}, not a Secret", listener))
    other = ref.get("namespace")
    if other and namespace is not None and str(other) != namespace:
        message = f"{name} is in namespace {other!s}; the shim allows only the Gateway's own ({namespace})"
        faults.append(Fault((*path, "namespace"), message, listener))
    return faults


def listener_faults(listener: gateways.Listener) -> list[Fault]:
    """validateGatewayListenerBlock's refusals: the shim skips the listener."""
    if not listener.hostname:
        return [Fault(listener.path, "it has no hostname to put in a certificate", listener)]
    refs = as_list(as_map(listener.body.get("tls")).get("certificateRefs"))
    if not refs:
        return [Fault((*listener.path, "tls"), "it has no tls.certificateRefs to write one to", listener)]
    return [f for i, ref in enumerate(refs) for f in _ref_faults(listener, i, as_map(ref))]


def read(gateway: Manifest) -> Reading:
    """The shim's view of an annotated Gateway (see `is_annotated`)."""
    notes = _annotations(gateway)
    faults = _issuer_faults(notes)
    if faults:
        return Reading(tuple(faults), None, ())
    issuer = issuer_ref(notes)
    wrong_kind = issuer.fault()  # only issuer-kind can name another kind
    if wrong_kind is not None:
        return Reading((Fault(_at(ISSUER_KIND), wrong_kind),), None, ())
    taken: list[gateways.Listener] = []
    for listener in filter(asks_certificate, gateways.listeners(gateway)):
        refused = listener_faults(listener)
        faults.extend(refused)
        if not refused:
            taken.append(listener)
    return Reading(tuple(faults), issuer, tuple(taken))
