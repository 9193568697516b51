"""Dex users on the local control plane: prefixed identities, their namespaces, and what is refused."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from kbp import kube
from support import dex as dexes
from support import escapes
from support.controlplane import ControlPlane
from support.dex import Dex
from support.oidc import ISSUER, Whoami, auth_config
from support.onboarding import kbp, unique


def _client(cluster: ControlPlane, token: str, path: Path) -> kube.KubeClient:
    return kube.connect(dexes.token_kubeconfig(cluster.server, cluster.ca, token, path))


def _deployment(namespace: str) -> dict[str, Any]:
    labels = {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "registry.example/web:1.0.0"}]},
            },
        },
    }


@pytest.fixture(scope="module")
def alice_user(
    cluster: ControlPlane, trusted_dex: Dex, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """alice onboarded with `kbp user add --oidc`, as her kbp user NAME."""
    name = unique("alice")
    out = tmp_path_factory.mktemp("alice-oidc") / "alice.kubeconfig"
    args = ["user", "add", name, "--oidc", ISSUER, "--identity", dexes.ALICE.email, "--team", "payments"]
    result: dict[str, Any] = json.loads(
        kbp(cluster, *args, "--out", str(out), "-o", "json", *auth_config(cluster)).stdout
    )
    return result


@pytest.fixture(scope="module")
def payments_team(
    cluster: ControlPlane, trusted_dex: Dex, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    team = unique("payments")
    out = tmp_path_factory.mktemp("team") / "team.kubeconfig"
    args = ["team", "add", team, "--group", "payments-devs", "--oidc", ISSUER, "--out", str(out)]
    result: dict[str, Any] = json.loads(kbp(cluster, *args, "-o", "json", *auth_config(cluster)).stdout)
    return result


@pytest.fixture(scope="module")
def search_team(
    cluster: ControlPlane, trusted_dex: Dex, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A team alice is not in."""
    out = tmp_path_factory.mktemp("search") / "team.kubeconfig"
    args = ["team", "add", unique("search"), "--group", "search-devs", "--oidc", ISSUER, "--out", str(out)]
    result: dict[str, Any] = json.loads(kbp(cluster, *args, "-o", "json", *auth_config(cluster)).stdout)
    return result


def test_password_grant_token_shows_the_prefixed_name_and_groups(trusted_dex: Dex, whoami: Whoami) -> None:
    user = whoami(trusted_dex.password_token(dexes.ALICE).id_token)
    assert user["username"] == f"{ISSUER}:{dexes.ALICE.email}"
    assert f"{ISSUER}:payments-devs" in user["groups"]
    assert "system:authenticated" in user["groups"]


def test_oidc_user_works_in_their_namespace(
    cluster: ControlPlane, trusted_dex: Dex, alice_user: dict[str, Any], tmp_path: Path
) -> None:
    assert alice_user["kind"] == "oidc"
    assert alice_user["identity"] == f"{ISSUER}:{dexes.ALICE.email}"
    with _client(cluster, trusted_dex.password_token(dexes.ALICE).id_token, tmp_path / "k") as alice:
        created = kube.create(alice, _deployment(alice_user["namespace"]))
    assert created["metadata"]["namespace"] == alice_user["namespace"]


def test_a_group_member_works_in_the_teams_namespace_and_others_do_not(
    cluster: ControlPlane, trusted_dex: Dex, payments_team: dict[str, Any], tmp_path: Path
) -> None:
    ns = payments_team["namespace"]
    with _client(cluster, trusted_dex.password_token(dexes.ALICE).id_token, tmp_path / "a") as alice:
        kube.create(alice, _deployment(ns))
    with (
        _client(cluster, trusted_dex.password_token(dexes.BOB).id_token, tmp_path / "b") as bob,
        pytest.raises(kube.ForbiddenError),
    ):
        kube.list_objects(bob, "apps/v1", "Deployment", ns)


def test_team_namespace_has_owner_team_quota_limits_and_the_isolation_of_every_kbp_namespace(
    cluster: ControlPlane, payments_team: dict[str, Any]
) -> None:
    ns = payments_team["namespace"]
    with cluster.client() as admin:
        namespace = kube.get(admin, "v1", "Namespace", ns)
        quotas = kube.list_objects(admin, "v1", "ResourceQuota", ns)
        limits = kube.list_objects(admin, "v1", "LimitRange", ns)
        policies = kube.list_objects(admin, "networking.k8s.io/v1", "NetworkPolicy", ns)
    labels = namespace["metadata"]["labels"]
    assert labels["kbp.dev/owner"] == payments_team["name"]
    assert labels["kbp.dev/team"] == payments_team["name"]
    assert namespace["metadata"]["annotations"]["janitor/ttl"] == "forever"
    assert len(quotas) == 1
    assert len(limits) == 1
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert policies  # the same default-deny set `kbp user add` applies


def test_user_list_shows_every_kind(
    cluster: ControlPlane, alice_user: dict[str, Any], payments_team: dict[str, Any]
) -> None:
    rows = json.loads(kbp(cluster, "user", "list", "-o", "json").stdout)["items"]
    kinds = {r["name"]: (r["kind"], r["identity"]) for r in rows}
    assert kinds[alice_user["name"]] == ("oidc", f"{ISSUER}:{dexes.ALICE.email}")
    assert kinds[payments_team["name"]] == ("group", f"{ISSUER}:payments-devs")


@pytest.mark.parametrize("action", escapes.ACTIONS)
def test_oidc_user_is_forbidden(
    cluster: ControlPlane, trusted_dex: Dex, alice_user: dict[str, Any], search_team: dict[str, Any],
    action: str, tmp_path: Path,
) -> None:  # fmt: skip
    identity = alice_user["identity"]
    attempts = escapes.forbidden_actions(alice_user["namespace"], identity, search_team["namespace"])
    with (
        _client(cluster, trusted_dex.password_token(dexes.ALICE).id_token, tmp_path / "k") as alice,
        pytest.raises(kube.ForbiddenError) as denied,
    ):
        attempts[action](alice)
    assert f'User "{identity}"' in str(denied.value)


def _rejected(whoami: Whoami, token: str) -> None:
    with pytest.raises(kube.KubeError) as refused:
        whoami(token)
    assert refused.value.status == 401


def test_an_expired_token_is_rejected(trusted_dex: Dex, whoami: Whoami) -> None:
    token = trusted_dex.password_token(dexes.ALICE)  # never sent before it expires: nothing cached
    time.sleep(max(0.0, token.expires_at - time.time()) + 1.0)
    _rejected(whoami, token.id_token)


def test_a_token_for_another_audience_is_rejected(trusted_dex: Dex, whoami: Whoami) -> None:
    _rejected(whoami, trusted_dex.password_token(dexes.ALICE, dexes.OTHER_CLIENT_ID).id_token)


def test_a_token_from_an_issuer_not_in_the_file_is_rejected(
    trusted_dex: Dex, other_dex: Dex, whoami: Whoami
) -> None:
    _rejected(whoami, other_dex.password_token(dexes.ALICE).id_token)


def test_a_claim_that_fails_the_cel_rule_is_rejected(trusted_dex: Dex, whoami: Whoami) -> None:
    _rejected(whoami, trusted_dex.password_token(dexes.MALLORY).id_token)


def test_removing_an_oidc_user_says_the_idp_account_stays(
    cluster: ControlPlane, trusted_dex: Dex, tmp_path: Path
) -> None:
    name = unique("alice")
    args = ["user", "add", name, "--oidc", ISSUER, "--identity", dexes.ALICE.email, "--team", "payments"]
    kbp(cluster, *args, "--out", str(tmp_path / "k"), *auth_config(cluster))
    removed = kbp(cluster, "user", "remove", name, "--delete-namespace", "-o", "json")
    assert json.loads(removed.stdout)["identities"] == [f"{ISSUER}:{dexes.ALICE.email}"]
    assert "disable the account at the IdP" in removed.stderr
