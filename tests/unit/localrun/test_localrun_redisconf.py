"""The local stack runs the chart's Redis launch script: loopback addresses, the state dir, no password."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbp.localrun.errors import BadOptionsError
from kbp.localrun.options import StackOptions, derive_ports
from kbp.localrun.redisconf import PRIMARY, REPLICA, redis_env

OPTIONS = StackOptions(
    state_dir=Path("/srv/state"),
    web_dir=Path("/srv/web"),
    ports=derive_ports(8080),
    python="python",
    chart_files=Path("/srv/chart/files"),
)


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
        redis_env(OPTIONS, "redis-sentinel")
