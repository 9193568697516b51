"""Ports, paths and option validation: plain values in, plain values out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kbp.localrun.errors import BadOptionsError
from kbp.localrun.options import Ports, StackOptions, derive_ports, validate


def options(**changes: object) -> StackOptions:
    base = StackOptions(
        state_dir=Path("/srv/state"),
        web_dir=Path("/srv/web"),
        ports=derive_ports(8080),
        python="/venv/bin/python",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_derive_ports_lays_apis_then_redis_after_nginx() -> None:
    assert derive_ports(8080) == Ports(nginx=8080, api=(8081, 8082), redis_primary=8083, redis_replica=8084)


def test_derive_ports_honours_an_explicit_redis_port() -> None:
    ports = derive_ports(9000, api_processes=3, redis_primary=6400)
    assert ports.api == (9001, 9002, 9003)
    assert (ports.redis_primary, ports.redis_replica) == (6400, 6401)


def test_sentinel_mode_adds_a_second_replica_then_the_sentinels() -> None:
    ports = derive_ports(8080, sentinels=3)
    assert ports.redis_nodes() == (8083, 8084, 8085)
    assert ports.sentinels == (8086, 8087, 8088)
    assert ports.all() == (8080, 8081, 8082, 8083, 8084, 8085, 8086, 8087, 8088)
    plain = derive_ports(8080)
    assert (plain.more_replicas, plain.sentinels) == ((), ())


def test_default_options_are_valid() -> None:
    validate(options())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            {"ports": Ports(nginx=8080, api=(8080,), redis_primary=1, redis_replica=2)}, "overlap", id="clash"
        ),
        pytest.param({"ports": derive_ports(65534)}, "out of range", id="port-too-high"),
        pytest.param({"ports": Ports(8080, (), 8081, 8082)}, "at least 1", id="no-api"),
        pytest.param({"page_size": 0}, "page size", id="page-size"),
        pytest.param({"ports": derive_ports(8080, sentinels=2)}, "need at least 3", id="two-sentinels"),
        pytest.param(
            {"ports": replace(derive_ports(8080, sentinels=3), sentinels=(8086, 8086, 8084))},
            "overlap",
            id="sentinel-port-clash",
        ),
        pytest.param({"state_dir": Path("relative")}, "absolute", id="relative-state"),
        pytest.param({"state_dir": Path("/" + "d" * 120)}, "too deep", id="socket-path-too-long"),
    ],
)
def test_validate_names_what_is_wrong(changes: dict[str, object], message: str) -> None:
    with pytest.raises(BadOptionsError, match=message):
        validate(options(**changes))


def test_paths_hang_off_the_state_dir() -> None:
    paths = options().paths
    assert paths.password_file == Path("/srv/state/secrets/redis-passwd")
    assert paths.log("api-1") == Path("/srv/state/logs/api-1.log")
    assert paths.redis_run("redis-replica") == Path("/srv/state/run/redis-replica")


def test_url_points_at_nginx() -> None:
    assert options().url == "http://127.0.0.1:8080/"
