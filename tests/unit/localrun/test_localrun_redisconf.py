"""The local stack runs the chart's Redis launch script: loopback addresses, the state dir, no password."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kbp.localrun.errors import BadOptionsError
from kbp.localrun.options import StackOptions, derive_ports
from kbp.localrun.redisconf import PRIMARY, REPLICA, redis_env, sentinel_env

OPTIONS = StackOptions(
    state_dir=Path("/srv/state"),
    web_dir=Path("/srv/web"),
    ports=derive_ports(8080),
    python="python",
    chart_files=Path("/srv/chart/files"),
)
SENTINEL = replace(OPTIONS, ports=derive_ports(8080, sentinels=3))


def test_the_replica_follows_the_primary_it_runs_beside() -> None:
    primary, replica = redis_env(OPTIONS, PRIMARY), redis_env(OPTIONS, REPLICA)
    assert (primary["REDIS_ROLE"], replica["REDIS_ROLE"]) == ("primary", "replica")
    assert replica["REDIS_PRIMARY_PORT"] == primary["REDIS_PORT"]
    assert replica["REDIS_PORT"] != primary["REDIS_PORT"]
    assert primary["REDIS_DATA_DIR"] != replica["REDIS_DATA_DIR"]


@pytest.mark.parametrize("role", [PRIMARY, REPLICA])
def test_nodes_listen_on_loopback_and_run_the_charts_files(role: str) -> None:
    env = redis_env(OPTIONS, role)
    assert env["REDIS_BIND"] == "127.0.0.1"
    assert env["REDIS_CONF"] == "/srv/chart/files/redis/redis.conf"
    assert env["REDIS_DATA_DIR"].startswith("/srv/state/")


def test_the_password_travels_as_a_file_path_only() -> None:
    for role in (PRIMARY, REPLICA):
        env = redis_env(OPTIONS, role)
        assert env["REDIS_PASSWORD_FILE"] == str(OPTIONS.paths.password_file)
        assert not any("PASS" in key and key != "REDIS_PASSWORD_FILE" for key in env)


def test_unknown_role_is_refused() -> None:
    with pytest.raises(BadOptionsError, match="unknown"):
        redis_env(OPTIONS, "redis-replica-2")


def test_without_sentinel_the_nodes_keep_their_roles() -> None:
    for role in (PRIMARY, REPLICA):
        assert "SENTINEL_ADDRESSES" not in redis_env(OPTIONS, role)


@pytest.mark.parametrize("role", [PRIMARY, REPLICA, "redis-replica-2"])
def test_with_sentinel_each_node_asks_every_sentinel(role: str) -> None:
    env = redis_env(SENTINEL, role)
    assert env["REDIS_ROLE"] == ("primary" if role == PRIMARY else "replica")
    assert env["REDIS_PRIMARY_PORT"] == "8083"
    assert env["SENTINEL_ADDRESSES"] == "127.0.0.1:8086,127.0.0.1:8087,127.0.0.1:8088"
    assert env["SENTINEL_MASTER"] == "journal"
    # Every node, itself included (launch.sh skips its own port).
    assert env["REDIS_PEERS"] == "127.0.0.1:8083,127.0.0.1:8084,127.0.0.1:8085"


def test_sentinels_watch_the_first_primary_each_in_its_own_directory() -> None:
    envs = [sentinel_env(SENTINEL, index) for index in range(3)]
    assert [env["SENTINEL_PORT"] for env in envs] == ["8086", "8087", "8088"]
    assert len({env["SENTINEL_DIR"] for env in envs}) == 3
    for env in envs:
        assert (env["REDIS_PRIMARY_HOST"], env["REDIS_PRIMARY_PORT"]) == ("127.0.0.1", "8083")
        assert (env["SENTINEL_MASTER"], env["SENTINEL_QUORUM"]) == ("journal", "2")
        assert env["SENTINEL_DIR"].startswith("/srv/state/run/")
        assert env["SENTINEL_BIND"] == "127.0.0.1"
        # Down-after is below the failover bar (10 s) with room for the election.
        assert 0 < int(env["SENTINEL_DOWN_AFTER_MS"]) <= 5000
        assert env["REDIS_PASSWORD_FILE"] == str(SENTINEL.paths.password_file)
        assert not any("PASS" in key and key != "REDIS_PASSWORD_FILE" for key in env)


def test_an_unknown_sentinel_is_refused() -> None:
    with pytest.raises(BadOptionsError, match="sentinel 4 is unknown"):
        sentinel_env(SENTINEL, 3)
