"""Metadata is validated when it is written: names, owner/team label values, TTL and expiry."""

from __future__ import annotations

import pytest

from kbp.namespaces.manifests import NamespaceSpec
from kbp.namespaces.validation import MetadataError, check_spec


def spec(**changes: str | None) -> NamespaceSpec:
    fields: dict[str, str | None] = {
        "name": "dev-alice",
        "owner": "alice",
        "team": "team-a",
        "purpose": "feature work",
        "ttl": "7d",
    }
    fields.update(changes)
    return NamespaceSpec(**fields)  # type: ignore[arg-type]


def test_a_good_spec_passes() -> None:
    check_spec(spec())
    check_spec(spec(ttl=None))  # `kbp user add` may create namespaces without a TTL
    check_spec(spec(ttl="forever", expires="2026-12-31"))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"name": "Dev_Alice"}, "DNS-1123", id="name-not-dns"),
        pytest.param({"name": "a" * 64}, "DNS-1123", id="name-too-long"),
        pytest.param({"name": "default"}, "reserved", id="name-default"),
        pytest.param({"name": "kube-dev"}, "reserved", id="name-kube-prefix"),
        pytest.param(
            {"owner": "alice@example.com"}, 'owner "alice@example.com" is not a label value', id="owner"
        ),
        pytest.param({"team": "-a"}, 'team "-a"', id="team"),
        pytest.param({"purpose": "  "}, "purpose", id="blank-purpose"),
        pytest.param({"ttl": "7x"}, 'ttl "7x" is not a duration', id="bad-ttl"),
        pytest.param({"ttl": "0s"}, "ttl", id="zero-ttl"),
        pytest.param({"expires": "31/12/2026"}, 'expires "31/12/2026"', id="bad-expiry"),
    ],
)
def test_bad_metadata_is_refused_with_the_field_named(changes: dict[str, str], expected: str) -> None:
    with pytest.raises(MetadataError) as err:
        check_spec(spec(**changes))
    assert expected in str(err.value)
    assert str(err.value).startswith('namespace "')
