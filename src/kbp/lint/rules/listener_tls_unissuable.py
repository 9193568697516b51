"""listener-tls-unissuable: the certificate a Gateway listener (or a Certificate) asks cert-manager
for can be issued. What cert-manager's gateway-shim refuses (conflicting issuer annotations,
listeners it skips) is checked on every Gateway; whether the issuer can issue the name, only when
the set holds an Issuer or ClusterIssuer."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kbp.lint import certshims
from kbp.lint.certshims import SHIM, IssuerRef
from kbp.lint.manifests import Manifest, Path, as_list, as_map
from kbp.lint.platforms import Platform
from kbp.lint.rulebook import Options, Pointer, Rule, SetHit, Severity


@dataclass(frozen=True)
class Request:
    """A certificate asked for: for which name, from which issuer, by which field."""

    subject: Manifest
    path: Path
    hostname: str
    issuer: IssuerRef
    what: str


def _gateway_faults(gateway: Manifest, reading: certshims.Reading) -> Iterator[SetHit]:
    for fault in reading.faults:
        if fault.listener is None:
            who = f"Gateway {gateway.namespace}/{gateway.name}"
            message = f"{who}: {fault.message}: no listener of it gets a certificate"
        else:
            message = f"{fault.listener.label}: {SHIM} skips it: {fault.message}"
        other = () if fault.other is None else (Pointer(gateway, fault.other, "the other annotation"),)
        yield SetHit(message, gateway, fault.path, other)


def _certificate_ref(cert: Manifest) -> IssuerRef:
    ref = as_map(cert.get(("spec", "issuerRef")))
    return IssuerRef(
        name=str(ref.get("name", "")),
        kind=str(ref.get("kind") or "Issuer"),
        group=str(ref.get("group") or certshims.GROUP),
        path=("spec", "issuerRef", "name"),
    )


def _faults_and_requests(platform: Platform) -> Iterator[SetHit | Request]:
    for gateway in platform.bundle.of_kind("Gateway"):
        if not certshims.is_annotated(gateway):
            continue
        reading = certshims.read(gateway)
        yield from _gateway_faults(gateway, reading)
        issuer = reading.issuer
        if issuer is None:
            continue
        for x in reading.listeners:
            if x.hostname:  # read() takes only listeners with one
                yield Request(gateway, (*x.path, "hostname"), x.hostname, issuer, x.label)
    for cert in platform.bundle.of_kind("Certificate"):
        issuer = _certificate_ref(cert)
        what = f"Certificate {cert.namespace}/{cert.name}"
        wrong_kind = issuer.fault()
        if wrong_kind is not None:
            yield SetHit(f"{what}: {wrong_kind}", cert, ("spec", "issuerRef", "kind"))
            continue
        for i, name in enumerate(as_list(cert.get(("spec", "dnsNames")))):
            yield Request(cert, ("spec", "dnsNames", i), str(name), issuer, what)


def _selected(solver: Mapping[str, Any], hostname: str) -> bool:
    """cert-manager's solver selector: dnsNames exact, dnsZones by suffix; labels are not known here."""
    selector = as_map(solver.get("selector"))
    names = [str(n) for n in as_list(selector.get("dnsNames"))]
    zones = [str(z).lstrip("*.") for z in as_list(selector.get("dnsZones"))]
    if not names and not zones:
        return True
    bare = hostname.removeprefix("*.")
    return hostname in names or any(bare == z or bare.endswith(f".{z}") for z in zones)


def problem(issuer: Manifest, hostname: str) -> str | None:
    """Why ``issuer`` cannot issue a certificate for ``hostname``, or None if it can."""
    acme = as_map(issuer.get(("spec", "acme")))
    if not acme:
        return None  # selfSigned, ca, vault, venafi: any name
    solvers = [as_map(s) for s in as_list(acme.get("solvers")) if _selected(as_map(s), hostname)]
    if not solvers:
        return "none of its ACME solvers is selected for it"
    if hostname.startswith("*.") and not any("dns01" in s for s in solvers):
        return (
            "it is a wildcard and the issuer's only solvers are HTTP-01; ACME CAs such as Let's "
            "Encrypt issue wildcards only through DNS-01"
        )
    return None


def _unissuable(platform: Platform, req: Request, issuers: list[Manifest]) -> SetHit | None:
    ref = req.issuer
    namespace = None if ref.kind == "ClusterIssuer" else req.subject.namespace
    issuer = platform.bundle.find(ref.kind, namespace, ref.name)
    if issuer is None:
        related = tuple(Pointer(i, ("metadata", "name"), f"{i.kind} {i.name}") for i in issuers[:3])
        message = f"{req.what} asks {ref.kind} {ref.name!r} for its certificate, and the set has none"
        return SetHit(message, req.subject, ref.path, related)
    why = problem(issuer, req.hostname)
    if why is None:
        return None
    solvers = Pointer(issuer, ("spec", "acme", "solvers"), f"{issuer.kind} {issuer.name}'s solvers")
    return SetHit(
        f"{req.what}: {issuer.kind} {issuer.name} cannot issue a certificate for {req.hostname!r}: {why}",
        req.subject,
        req.path,
        (solvers,),
    )


def check(platform: Platform, options: Options) -> Iterator[SetHit]:
    issuers = [*platform.bundle.of_kind("ClusterIssuer", "Issuer")]
    for item in _faults_and_requests(platform):
        if isinstance(item, SetHit):
            yield item
        elif issuers and not item.issuer.is_external:  # an external issuer's abilities are unknown
            hit = _unissuable(platform, item, issuers)
            if hit is not None:
                yield hit


RULE = Rule(
    id="listener-tls-unissuable",
    summary="Every certificate a listener asks for can be issued by its issuer",
    severity=Severity.ERROR,
    category="platform",
    check_set=check,
)
