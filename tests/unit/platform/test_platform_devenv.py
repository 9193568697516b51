"""Which namespace and team `kbp dev up` picks, from who the developer is and what they pass."""

from __future__ import annotations

import pytest

from kbp.platform.devenv import (
    Developer,
    DevError,
    dev_host,
    dev_values,
    label_value,
    namespace_for,
    team_of,
)

ALICE = Developer("alice", ("payments", "system:authenticated"))


@pytest.mark.parametrize(
    ("explicit", "context_namespace", "expected"),
    [
        pytest.param("mine", "dev-alice", "mine", id="flag-wins"),
        pytest.param(None, "dev-alice", "dev-alice", id="onboarded-context"),
        pytest.param(None, "default", "dev-alice", id="admin-default-context"),
        pytest.param(None, "", "dev-alice", id="no-context-namespace"),
    ],
)
def test_namespace(explicit: str | None, context_namespace: str, expected: str) -> None:
    assert namespace_for(ALICE, explicit=explicit, context_namespace=context_namespace) == expected


def test_a_user_name_that_is_not_a_label_becomes_one() -> None:
    assert label_value("Alice.Smith@Example.com") == "alice-smith-example-com"
    developer = Developer("system:serviceaccount:ci:deployer", ())
    assert namespace_for(developer, explicit=None, context_namespace="default") == (
        "dev-system-serviceaccount-ci-deployer"
    )


def test_team_is_the_flag_else_the_first_group_that_is_not_a_system_one() -> None:
    assert team_of(ALICE, "web") == "web"
    assert team_of(ALICE, None) == "payments"
    assert team_of(Developer("admin", ("system:masters", "system:authenticated")), None) is None


def test_each_developers_copy_gets_its_own_host_under_the_dev_listener() -> None:
    alice = dev_host("journal", "dev-alice", "journal.dev.localhost")
    bob = dev_host("journal", "dev-bob", "journal.dev.localhost")
    assert alice == "journal-dev-alice.dev.localhost"
    assert bob != alice
    # One label under the domain: *.dev.localhost covers it, and it stays a DNS label.
    long = dev_host("journal", "dev-" + "x" * 70, "journal.dev.localhost")
    label, _, domain = long.partition(".")
    assert domain == "dev.localhost"
    assert len(label) <= 63
    assert not label.endswith("-")


def test_the_own_host_goes_into_the_values_only_when_exposed() -> None:
    assert dev_values("httproute", host="a.dev.localhost") == {
        "exposure": {"kind": "httproute", "host": "a.dev.localhost"}
    }
    assert dev_values("none", host="a.dev.localhost") == {"exposure": {"kind": "none"}}


def test_a_shared_host_without_a_domain_is_refused_by_name() -> None:
    with pytest.raises(DevError, match=r'exposure\.host "localhost"'):
        dev_host("journal", "dev-alice", "localhost")
