"""Redis config texts: replication, persistence, and the password kept to the auth include."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbp.localrun.errors import BadOptionsError
from kbp.localrun.options import StackOptions, derive_ports
from kbp.localrun.redisconf import PRIMARY, REPLICA, redis_auth_conf, redis_conf

OPTIONS = StackOptions(
    state_dir=Path("/srv/state"), web_dir=Path("/srv/web"), ports=derive_ports(8080), python="python"
)


def directives(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize("role", [PRIMARY, REPLICA])
def test_every_node_binds_loopback_persists_and_includes_auth_last(role: str) -> None:
    lines = directives(redis_conf(OPTIONS, role))
    assert "bind 127.0.0.1" in lines
    assert "appendonly yes" in lines
    assert lines[-1] == 'include "/srv/state/secrets/redis-auth.conf"'


def test_primary_listens_on_its_port_and_replicates_from_nobody() -> None:
    text = redis_conf(OPTIONS, PRIMARY)
    assert "port 8083" in directives(text)
    assert "replicaof" not in text


def test_replica_follows_the_primary_read_only() -> None:
    lines = directives(redis_conf(OPTIONS, REPLICA))
    assert "port 8084" in lines
    assert "replicaof 127.0.0.1 8083" in lines
    assert "replica-read-only yes" in lines
    assert "replica-serve-stale-data yes" in lines


def test_no_password_outside_the_auth_include() -> None:
    for role in (PRIMARY, REPLICA):
        text = redis_conf(OPTIONS, role)
        assert "requirepass" not in text
        assert "masterauth" not in text


def test_auth_conf_sets_requirepass_and_masterauth() -> None:
    assert redis_auth_conf("s3cr3t-Token_value") == (
        'requirepass "s3cr3t-Token_value"\nmasterauth "s3cr3t-Token_value"\n'
    )


@pytest.mark.parametrize(
    "password",
    [
        pytest.param("short", id="too-short"),
        pytest.param('quote"in-the-middle-xx', id="quote"),
        pytest.param("new\nline-injection-xxxx", id="newline"),
    ],
)
def test_auth_conf_refuses_passwords_that_need_quoting(password: str) -> None:
    with pytest.raises(BadOptionsError, match="URL-safe"):
        redis_auth_conf(password)


def test_unknown_role_is_refused() -> None:
    with pytest.raises(BadOptionsError, match="unknown"):
        redis_conf(OPTIONS, "redis-sentinel")
