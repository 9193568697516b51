"""ingress-tls: every Ingress host is served over TLS with a certificate Secret."""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import Manifest, as_list, as_map
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def _covered(host: str, tls_hosts: list[str]) -> bool:
    # "*.example.com" covers one label, as a wildcard certificate does
    return any(
        h == host or (h.startswith("*.") and fnmatchcase(host, h) and host.count(".") == h.count("."))
        for h in tls_hosts
    )


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    if m.kind != "Ingress":
        return
    tls = as_list(m.get(("spec", "tls")))
    if not tls:
        yield Hit("Ingress has no spec.tls; traffic is served over plain HTTP", ("spec",))
        return
    tls_hosts: list[str] = []
    for index, raw in enumerate(tls):
        entry = as_map(raw)
        tls_hosts.extend(str(h) for h in as_list(entry.get("hosts")))
        if not entry.get("secretName"):
            yield Hit(
                "tls entry has no secretName; the controller serves its default certificate",
                ("spec", "tls", index),
            )
    for index, rule in enumerate(as_list(m.get(("spec", "rules")))):
        host = as_map(rule).get("host")
        if host and not _covered(str(host), tls_hosts):
            yield Hit(
                f"host {host!r} is not listed in any spec.tls[].hosts", ("spec", "rules", index, "host")
            )


RULE = Rule(
    id="ingress-tls",
    summary="Ingresses terminate TLS for every host",
    severity=Severity.WARNING,
    category="ingress",
    check=check,
    kinds=frozenset({"Ingress"}),
)
