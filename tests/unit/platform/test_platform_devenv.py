"""Which namespace and team `kbp dev up` picks, from who the developer is and what they pass."""

from __future__ import annotations

import pytest

from kbp.platform.devenv import Developer, label_value, namespace_for, team_of

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
