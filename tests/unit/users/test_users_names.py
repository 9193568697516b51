"""Names, groups and teams are checked before any API call, with a message naming the problem."""

from __future__ import annotations

import pytest

from kbp.users import InvalidUserError, names


@pytest.mark.parametrize("name", ["alice", "bob-2", "a", "x" * names.NAME_MAX])
def test_accepts_dns_labels(name: str) -> None:
    assert names.check_user(name) == name


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        pytest.param("system:masters", 'names starting with "system:" are reserved', id="system-masters"),
        pytest.param("system:kube-proxy", 'names starting with "system:" are reserved', id="system-prefix"),
        pytest.param("Alice", "not a valid name", id="uppercase"),
        pytest.param("alice_smith", "not a valid name", id="underscore"),
        pytest.param("-alice", "not a valid name", id="leading-dash"),
        pytest.param("alice@example.com", "not a valid name", id="email"),
        pytest.param("", "not a valid name", id="empty"),
        pytest.param("x" * (names.NAME_MAX + 1), "at most 59 characters", id="too-long-for-dev-prefix"),
    ],
)
def test_refuses_other_user_names(name: str, problem: str) -> None:
    with pytest.raises(InvalidUserError, match=problem) as refused:
        names.check_user(name)
    assert f'user "{name}"' in str(refused.value)


def test_groups_are_sorted_and_deduplicated() -> None:
    assert names.check_groups(["qa", "team:payments", "qa"]) == ("qa", "team:payments")


@pytest.mark.parametrize(
    ("group", "problem"),
    [
        pytest.param("system:masters", "bound to cluster-admin", id="system-masters"),
        pytest.param("kubeadm:cluster-admins", "bound to cluster-admin", id="kubeadm-admins"),
        pytest.param("system:authenticated", 'starting with "system:" are reserved', id="system-prefix"),
        pytest.param("a,b", "not a valid group", id="comma"),
        pytest.param("has space", "not a valid group", id="space"),
        pytest.param("g" * 65, "not a valid group", id="longer-than-x509-allows"),
    ],
)
def test_refuses_dangerous_or_malformed_groups(group: str, problem: str) -> None:
    with pytest.raises(InvalidUserError, match=problem) as refused:
        names.check_groups(["dev", group])
    assert f'group "{group}"' in str(refused.value)


def test_split_groups_drops_empty_items() -> None:
    assert names.split_groups(" dev, ,qa,") == ("dev", "qa")
    assert names.split_groups("") == ()


def test_teams_and_namespaces_are_dns_labels() -> None:
    assert names.check_team("payments") == "payments"
    assert names.check_namespace(names.default_namespace("alice")) == "dev-alice"
    with pytest.raises(InvalidUserError, match='team "Pay Ments"'):
        names.check_team("Pay Ments")
    with pytest.raises(InvalidUserError, match='namespace "kube_system"'):
        names.check_namespace("kube_system")
