"""Flags become a UserSpec, or exit 2 with a message naming the flag and the expected form."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from kbp.users import InvalidUserError, inputs


def _spec(**overrides: str) -> object:
    flags = {"team": "payments", "groups": "qa,dev", "quota": "small", "cert_ttl": "30d", "ttl": "forever"}
    flags.update(overrides)
    name = flags.pop("name", "alice")
    return inputs.user_spec(name, namespace=flags.pop("namespace", None), **flags)


def test_defaults_give_the_dev_namespace_and_sorted_groups() -> None:
    spec = inputs.user_spec(
        "alice", team="payments", groups="qa,dev", quota="medium", namespace=None, cert_ttl="12h"
    )
    assert (spec.namespace, spec.groups, spec.quota) == ("dev-alice", ("dev", "qa"), "medium")
    assert spec.cert_ttl == dt.timedelta(hours=12)
    assert spec.namespace_ttl == "forever"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        pytest.param({"name": "system:masters", "quota": "huge"}, 'user "system:masters"', id="name-first"),
        pytest.param({"quota": "huge"}, '--quota: quota profile "huge" does not exist', id="quota"),
        pytest.param({"cert_ttl": "5m"}, '--cert-ttl "5m": too short', id="cert-ttl-below-api-minimum"),
        pytest.param(
            {"cert_ttl": "a month"}, '--cert-ttl "a month" is not a duration', id="cert-ttl-garbage"
        ),
        pytest.param({"ttl": "soon"}, "--ttl", id="namespace-ttl"),
        pytest.param({"namespace": "Kube_System"}, 'namespace "Kube_System"', id="namespace"),
        pytest.param({"team": ""}, 'team ""', id="empty-team"),
    ],
)
def test_bad_flags_are_refused(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidUserError, match=re.escape(message)):
        _spec(**overrides)
