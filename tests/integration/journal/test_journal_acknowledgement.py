"""The exact acknowledgement: a 201 or 204 means a replica has the write; otherwise a 503 says so.

Real Redis: a primary and one replica; the replica is frozen with SIGSTOP to make confirmation
impossible, as a stalled replica or a partition would.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from support.journal import ClientFactory
from support.redis import RedisPair, paused

pytestmark = pytest.mark.anyio

UNKNOWN = "was not confirmed by a replica in time, so it may or may not have been stored"


async def post(client: httpx.AsyncClient, text: str, key: str) -> httpx.Response:
    return await client.post("/api", json={"text": text}, headers={"Idempotency-Key": key})


async def test_a_201_means_the_replica_already_has_the_entry(
    journal: httpx.AsyncClient, empty_redis: RedisPair
) -> None:
    replica = empty_redis.replica.client()
    for n in range(20):
        created = await post(journal, f"acknowledged {n}", f"ack-{n}")
        assert created.status_code == 201
        # No waiting here: the acknowledgement itself promises the replica holds it.
        assert replica.hget("journal:entries", created.json()["id"]) == created.content


async def test_concurrent_writes_share_waits_but_each_201_is_on_the_replica(
    journal: httpx.AsyncClient, empty_redis: RedisPair
) -> None:
    replica = empty_redis.replica.client()
    seen_on_replica = []

    async def post_and_check(n: int) -> int:
        created = await post(journal, f"batched {n}", f"batch-{n}")
        if created.status_code == 201:  # checked the moment it is answered, before any other write's
            seen_on_replica.append(replica.hget("journal:entries", created.json()["id"]) == created.content)
        return created.status_code

    statuses = await asyncio.gather(*(post_and_check(n) for n in range(40)))
    assert statuses == [201] * 40
    assert seen_on_replica == [True] * 40


async def test_no_write_of_a_concurrent_batch_is_acknowledged_while_the_replica_is_frozen(
    journal_for: ClientFactory, fresh_redis_pair: RedisPair
) -> None:
    pair = fresh_redis_pair
    async with journal_for(pair) as journal:
        await post(journal, "before", "before-1")  # the socket is open and the scripts are known
        with paused(pair.replica):
            frozen = await asyncio.gather(*(post(journal, f"frozen {n}", f"frozen-{n}") for n in range(20)))
        pair.wait_replicated()
        after = await asyncio.gather(*(post(journal, f"frozen {n}", f"frozen-{n}") for n in range(20)))

    assert [response.status_code for response in frozen] == [503] * 20
    assert all(UNKNOWN in response.json()["detail"] for response in frozen)
    # Retried with their keys once the replica is back: each stored once and now acknowledged.
    assert [response.status_code for response in after] == [201] * 20
    assert len({response.json()["id"] for response in after}) == 20


async def test_an_unconfirmed_add_is_a_503_and_a_retry_with_its_key_settles_it(
    journal_for: ClientFactory, fresh_redis_pair: RedisPair
) -> None:
    pair = fresh_redis_pair
    async with journal_for(pair) as first, journal_for(pair) as second:
        with paused(pair.replica):
            unconfirmed = await post(first, "fate unknown", "settle-1")
        pair.wait_replicated()
        # The retry may reach another process: the replay must confirm the first write there too.
        settled = await post(second, "fate unknown", "settle-1")
        page = (await second.get("/api")).json()

    assert unconfirmed.status_code == 503
    assert UNKNOWN in unconfirmed.json()["detail"]
    assert "same Idempotency-Key" in unconfirmed.json()["detail"]
    assert unconfirmed.headers["retry-after"] == "1"
    assert settled.status_code == 201
    assert settled.headers["idempotent-replayed"] == "true"
    assert page["total"] == 1  # stored once, whatever the first answer was
    assert pair.replica.client().hget("journal:entries", settled.json()["id"]) == settled.content


async def test_an_unconfirmed_delete_is_a_503_and_a_retry_settles_it(
    journal_for: ClientFactory, fresh_redis_pair: RedisPair
) -> None:
    pair = fresh_redis_pair
    async with journal_for(pair) as journal:
        location = (await post(journal, "to delete", "del-1")).headers["location"]
        with paused(pair.replica):
            unconfirmed = await journal.delete(location)
        pair.wait_replicated()
        retried = await journal.delete(location)

    assert unconfirmed.status_code == 503
    assert "retrying the DELETE settles it" in unconfirmed.json()["detail"]
    assert retried.status_code == 404  # the first one did delete it


async def test_unconfirmed_writes_are_counted(
    journal_for: ClientFactory, fresh_redis_pair: RedisPair
) -> None:
    async with journal_for(fresh_redis_pair) as journal:
        with paused(fresh_redis_pair.replica):
            await post(journal, "counted", "count-1")
        metrics = (await journal.get("/metrics")).text

    assert 'journal_unconfirmed_writes_total{operation="add"} 1.0' in metrics


async def test_with_no_replica_acks_the_primary_alone_acknowledges(
    journal_for: ClientFactory, fresh_redis_pair: RedisPair
) -> None:
    async with journal_for(fresh_redis_pair, replica_acks=0) as journal:
        with paused(fresh_redis_pair.replica):
            created = await post(journal, "plain mode", "plain-1")

    assert created.status_code == 201
