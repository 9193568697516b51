"""Checks on namespace metadata before kbp writes it: names, label values, and the lifetime grammar."""

from __future__ import annotations

import re

from kbp.namespaces import ttl
from kbp.namespaces.manifests import NamespaceSpec
from kbp.namespaces.policy import ALWAYS_PROTECTED, PROTECTED_PREFIX

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABEL_VALUE = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
MAX_PURPOSE = 256


class MetadataError(ValueError):
    """Namespace metadata that kbp refuses to write; the message names the field and the expected form."""


def check_dns_label(name: str) -> None:
    if len(name) > 63 or not _DNS_LABEL.fullmatch(name):
        raise MetadataError(
            f'namespace "{name}": not a DNS-1123 label (lower-case letters, digits and "-", at most 63)'
        )


def check_name(name: str) -> None:
    """A name kbp may create: a DNS-1123 label outside Kubernetes' own (default, kube-*)."""
    check_dns_label(name)
    if name in ALWAYS_PROTECTED or name.startswith(PROTECTED_PREFIX):
        raise MetadataError(f'namespace "{name}": reserved by Kubernetes (default, kube-*)')


def check_spec(spec: NamespaceSpec) -> None:
    """Everything `namespace_manifest` will write, checked up front."""
    check_name(spec.name)
    for field, value in (("owner", spec.owner), ("team", spec.team)):
        if len(value) > 63 or not _LABEL_VALUE.fullmatch(value):
            raise MetadataError(
                f'namespace "{spec.name}": {field} "{value}" is not a label value '
                '(letters, digits, "-", "_", "." inside, at most 63, e.g. alice or team-a)'
            )
    if not spec.purpose.strip() or len(spec.purpose) > MAX_PURPOSE:
        raise MetadataError(f'namespace "{spec.name}": purpose must be 1 to {MAX_PURPOSE} characters')
    try:
        if spec.ttl is not None:
            ttl.parse_ttl(spec.ttl)
    except ttl.LifetimeError as exc:
        raise MetadataError(f'namespace "{spec.name}": ttl {exc}') from exc
    try:
        if spec.expires is not None:
            ttl.parse_expires(spec.expires)
    except ttl.LifetimeError as exc:
        raise MetadataError(f'namespace "{spec.name}": expires {exc}') from exc
