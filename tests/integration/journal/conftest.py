"""Fixtures for the in-process journal tests (the Redis pair comes from tests/integration/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from support.journal import ClientFactory, config_for, journal_client
from support.redis import RedisPair


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def redis(redis_pair: RedisPair) -> RedisPair:
    """The session pair, emptied: FLUSHALL on the primary, seen by the replica."""
    redis_pair.primary.client().flushall()
    redis_pair.wait_replicated()
    return redis_pair


@pytest.fixture
def client_for() -> ClientFactory:
    """`async with client_for(pair, entries=3) as client:` an app of its own on that pair."""

    def make(pair: RedisPair, **overrides: Any) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        return journal_client(config_for(pair, **overrides))

    return make


@pytest.fixture
async def client(redis: RedisPair) -> AsyncIterator[httpx.AsyncClient]:
    async with journal_client(config_for(redis)) as journal:
        yield journal
