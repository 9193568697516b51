"""Session fixtures for integration tests: real services, started once, always torn down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.controlplane import ControlPlane, running
from support.redis import RedisPair, replicated_pair


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """A real Kubernetes control plane (etcd, apiserver, KCM, scheduler, kwok nodes) for the session."""
    with running(tmp_path_factory.mktemp("cluster"), tmp_path_factory.mktemp("tools")) as plane:
        yield plane


# Journal: real Redis, a primary and a replica with auth and AOF (tests/support/redis.py).


@pytest.fixture(scope="session")
def redis_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisPair]:
    """One primary + replica for the session; tests that stop a server use `fresh_redis_pair`."""
    with replicated_pair(tmp_path_factory.mktemp("redis")) as pair:
        yield pair


@pytest.fixture
def fresh_redis_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisPair]:
    """A primary + replica of this test's own, free to be killed and restarted."""
    with replicated_pair(tmp_path_factory.mktemp("redis")) as pair:
        yield pair
