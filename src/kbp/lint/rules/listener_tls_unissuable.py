"""listener-tls-unissuable: the certificate a Gateway listener (or a Certificate) asks cert-manager
for can be issued by the issuer it names, as the set defines that issuer. Checked only when the
set holds an Issuer or ClusterIssuer."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kbp.lint import gateways
from kbp.lint.manifests import Manifest, Path, annotation_map, as_list, as_map
from kbp.lint.platforms import Platform
from kbp.lint.rulebook import Options, Pointer, Rule, SetHit, Severity

CLUSTER_ISSUER = "cert-manager.io/cluster-issuer"
ISSUER = "cert-manager.io/issuer"


@dataclass(frozen=True)
class Request:
    """A certificate asked for: for which name, from which issuer, by which field."""

    subject: Manifest
    path: Path
    hostname: str
    issuer_kind: str
    issuer_name: str
    issuer_path: Path
    what: str


def _requests(platform: Platform) -> Iterator[Request]:
    for gateway in platform.bundle.of_kind("Gateway"):
        notes = annotation_map(gateway.metadata)
        kind, key = ("ClusterIssuer", CLUSTER_ISSUER) if CLUSTER_ISSUER in notes else ("Issuer", ISSUER)
        if key not in notes:
            continue
        for x in gateways.listeners(gateway):
            tls = as_map(x.body.get("tls"))
            if x.hostname and tls.get("mode", "Terminate") == "Terminate" and tls.get("certificateRefs"):
                path = ("metadata", "annotations", key)
                yield Request(gateway, (*x.path, "hostname"), x.hostname, kind, notes[key], path, x.label)
    for cert in platform.bundle.of_kind("Certificate"):
        ref = as_map(cert.get(("spec", "issuerRef")))
        kind = str(ref.get("kind", "Issuer"))
        for i, name in enumerate(as_list(cert.get(("spec", "dnsNames")))):
            what = f"Certificate {cert.namespace}/{cert.name}"
            path = ("spec", "issuerRef", "name")
            yield Request(
                cert, ("spec", "dnsNames", i), str(name), kind, str(ref.get("name", "")), path, what
            )


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


def check(platform: Platform, options: Options) -> Iterator[SetHit]:
    issuers = [*platform.bundle.of_kind("ClusterIssuer", "Issuer")]
    if not issuers:
        return
    for req in _requests(platform):
        namespace = None if req.issuer_kind == "ClusterIssuer" else req.subject.namespace
        issuer = platform.bundle.find(req.issuer_kind, namespace, req.issuer_name)
        if issuer is None:
            related = tuple(Pointer(i, ("metadata", "name"), f"{i.kind} {i.name}") for i in issuers[:3])
            asked = f"{req.issuer_kind} {req.issuer_name!r}"
            message = f"{req.what} asks {asked} for its certificate, and the set has none"
            yield SetHit(message, req.subject, req.issuer_path, related)
            continue
        why = problem(issuer, req.hostname)
        if why is not None:
            solvers = Pointer(issuer, ("spec", "acme", "solvers"), f"{issuer.kind} {issuer.name}'s solvers")
            yield SetHit(
                f"{req.what}: {issuer.kind} {issuer.name} cannot issue a certificate for "
                f"{req.hostname!r}: {why}",
                req.subject,
                req.path,
                (solvers,),
            )


RULE = Rule(
    id="listener-tls-unissuable",
    summary="Every certificate a listener asks for can be issued by its issuer",
    severity=Severity.ERROR,
    category="platform",
    check_set=check,
)
