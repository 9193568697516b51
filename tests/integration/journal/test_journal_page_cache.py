"""Pages served from memory (journal.tracking) stay exact: writes by others show on the next GET,
and a lost tracking connection empties the cache, against real Redis servers."""

from __future__ import annotations

from collections.abc import Callable

import anyio
import httpx
import pytest

from journal.pipelining import Address
from journal.scripts import VERSION
from journal.tracking import TrackedCache
from support.journal import ClientFactory
from support.redis import RedisPair

pytestmark = pytest.mark.anyio


async def texts(client: httpx.AsyncClient, **headers: str) -> list[str]:
    response = await client.get("/api", headers=headers)
    response.raise_for_status()
    return [item["text"] for item in response.json()["items"]]


async def test_a_write_through_another_process_is_visible_on_the_next_get(
    empty_redis: RedisPair, journal_for: ClientFactory
) -> None:
    async with journal_for(empty_redis) as reader, journal_for(empty_redis) as writer:
        await writer.post("/api", json={"text": "first"})
        assert await texts(reader) == ["first"]
        assert await texts(reader) == ["first"]  # now from memory

        added = await writer.post("/api", json={"text": "second"})
        assert await texts(reader) == ["second", "first"]
        token = {"Journal-Version": added.headers["journal-version"]}
        assert await texts(reader, **token) == [
            "second",
            "first",
        ]

        deleted = await writer.delete(added.headers["location"])
        assert deleted.status_code == 204
        assert await texts(reader) == ["first"]


async def test_a_write_straight_to_redis_is_visible_on_the_next_get(
    empty_redis: RedisPair, journal: httpx.AsyncClient
) -> None:
    await journal.post("/api", json={"text": "kept"})
    assert await texts(journal) == ["kept"]
    assert await texts(journal) == ["kept"]  # now from memory

    primary = empty_redis.primary.client()
    primary.hdel("journal:entries", 1)
    primary.zrem("journal:index", 1)
    primary.incr(VERSION)
    empty_redis.wait_replicated()

    assert await texts(journal) == []


def tracking_client_ids(pair: RedisPair) -> list[int]:
    return [int(client["id"]) for client in pair.replica.client().client_list() if "t" in client["flags"]]


async def until(condition: Callable[[], bool]) -> None:
    with anyio.fail_after(5):
        while not condition():
            await anyio.sleep(0.01)


async def test_a_dropped_tracking_connection_empties_the_cache(empty_redis: RedisPair) -> None:
    cache: TrackedCache[str, str] = TrackedCache(
        Address("127.0.0.1", empty_redis.replica.port, 0, 2.0, empty_redis.password)
    )
    assert cache.token() is None  # no tracked socket yet
    await cache.connection.call("PING")  # a read opens it, tracking from its handshake on
    cache.put("page", "cached", cache.token())
    assert cache.get("page") == "cached"
    (tracker,) = tracking_client_ids(empty_redis)

    empty_redis.replica.client().client_kill_filter(_id=str(tracker))
    await until(lambda: cache.get("page") is None)

    assert cache.token() is None  # nothing is kept until a tracked socket is open again
    await cache.connection.call("PING")
    assert cache.token() is not None
    assert tracking_client_ids(empty_redis) not in ([], [tracker])
    await cache.close()


async def test_an_invalidation_during_a_read_discards_its_answer(empty_redis: RedisPair) -> None:
    cache: TrackedCache[str, str] = TrackedCache(
        Address("127.0.0.1", empty_redis.replica.port, 0, 2.0, empty_redis.password)
    )
    await cache.connection.call("PING")
    token = cache.token()
    empty_redis.primary.client().incr(VERSION)  # a write lands while the read is in flight
    empty_redis.wait_replicated()
    await cache.settled()

    cache.put("page", "read before the write", token)
    assert cache.get("page") is None
    await cache.close()
