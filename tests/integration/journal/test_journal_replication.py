"""Reads go to the replica, fall back to the primary, and survive either server dying."""

from __future__ import annotations

import time

import anyio
import httpx
import pytest

from support.journal import ClientFactory
from support.redis import RedisPair, RedisServer, kill

pytestmark = pytest.mark.anyio

WRITES_REFUSED = {"detail": "storage unavailable: writes are temporarily refused"}
READS_REFUSED = {"detail": "storage unavailable: reads are temporarily refused"}


def command_calls(server: RedisServer, *commands: str) -> int:
    with server.client() as client:
        stats = client.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in commands)


def reset_stats(pair: RedisPair) -> None:
    for server in (pair.primary, pair.replica):
        with server.client() as client:
            client.config_resetstat()


async def metric(journal: httpx.AsyncClient, sample: str) -> float:
    """The value of one sample line of /metrics (0 when absent)."""
    for line in (await journal.get("/metrics")).text.splitlines():
        if line.startswith(sample + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def add(journal: httpx.AsyncClient, text: str) -> int:
    response = await journal.post("/api", json={"text": text})
    assert response.status_code == 201, response.text
    entry_id: int = response.json()["id"]
    return entry_id


async def test_reads_are_served_by_the_replica(journal: httpx.AsyncClient, empty_redis: RedisPair) -> None:
    entry_id = await add(journal, "replicated")
    empty_redis.wait_replicated()
    reset_stats(empty_redis)

    for page in range(1, 6):  # five different pages: a page read again would be served from memory
        assert (await journal.get(f"/api?page={page}")).json()["total"] == 1
        assert (await journal.get(f"/api/{entry_id}")).status_code == 200

    assert command_calls(empty_redis.replica, "evalsha", "eval") >= 5  # plus one NOSCRIPT miss
    assert command_calls(empty_redis.replica, "hget") == 5
    assert command_calls(empty_redis.primary, "evalsha", "eval", "hget") == 0
    assert await metric(journal, 'journal_read_fallbacks_total{reason="replica_miss"}') == 0


async def test_a_read_right_after_a_write_falls_back_to_the_primary(
    journal_for: ClientFactory, fresh_redis_pair: RedisPair
) -> None:
    pair = fresh_redis_pair
    pair.replica.client().replicaof("NO", "ONE")  # the replica stops hearing writes
    # No replica can confirm a write now: the primary alone acknowledges (replica_acks=0).
    async with journal_for(pair, replica_acks=0) as writer, journal_for(pair, replica_acks=0) as other:
        created = await writer.post("/api", json={"text": "written after the replica stopped"})
        entry_id, token = created.json()["id"], created.headers["journal-version"]

        own_entry = await writer.get(f"/api/{entry_id}")
        own_page = (await writer.get("/api")).json()
        other_entry = await other.get(f"/api/{entry_id}")
        other_page = (await other.get("/api")).json()
        other_page_with_token = await other.get("/api", headers={"Journal-Version": token})

        # The writer's replica reads are older than its own write: both go to the primary.
        assert own_entry.status_code == 200
        assert [item["id"] for item in own_page["items"]] == [entry_id]
        assert await metric(writer, 'journal_read_fallbacks_total{reason="replica_stale"}') == 2
        # Another process misses the id on the replica and finds it on the primary...
        assert other_entry.status_code == 200
        assert await metric(other, 'journal_read_fallbacks_total{reason="replica_miss"}') == 1
        # ...lists what the replica has when the client sends no token...
        assert other_page["total"] == 0
        # ...and reads from the primary when the client sends back the write's version.
        assert other_page_with_token.json()["total"] == 1
        assert other_page_with_token.headers["journal-version"] == token
    assert pair.replica.client().hlen("journal:entries") == 0


async def test_primary_down_serves_reads_and_refuses_writes(
    journal_for: ClientFactory, fresh_redis_pair: RedisPair
) -> None:
    pair = fresh_redis_pair
    async with journal_for(pair) as journal:
        ids = [await add(journal, f"before the outage {n}") for n in range(2)]
        pair.wait_replicated()
        kill(pair.primary)

        page = await journal.get("/api")
        entry = await journal.get(f"/api/{ids[0]}")
        missing = await journal.get("/api/999")
        post = await journal.post("/api", json={"text": "during the outage"})
        delete = await journal.delete(f"/api/{ids[0]}")
        ready = await journal.get("/readyz")
        healthy = await journal.get("/healthz")

        assert page.status_code == 200
        assert [item["id"] for item in page.json()["items"]] == ids[::-1]
        assert entry.status_code == 200
        assert missing.status_code == 404
        assert (post.status_code, post.json()) == (503, WRITES_REFUSED)
        assert post.headers["retry-after"] == "1"
        assert (delete.status_code, delete.json()) == (503, WRITES_REFUSED)
        # Still ready: the replica serves reads, so the pod must stay behind its Service.
        assert (ready.status_code, ready.json()) == (200, {"status": "ready", "writes": "unavailable"})
        assert healthy.status_code == 200
        assert await metric(journal, 'journal_redis_errors_total{endpoint="write",operation="add"}') == 1

        pair.restart_primary()
        recovered = await journal.post("/api", json={"text": "after the outage"})
        assert recovered.status_code == 201
        assert (await journal.get("/readyz")).status_code == 200


async def test_replica_down_reads_from_the_primary(
    journal_for: ClientFactory, fresh_redis_pair: RedisPair
) -> None:
    pair = fresh_redis_pair
    async with journal_for(pair) as journal:
        entry_id = await add(journal, "kept on the primary")
        kill(pair.replica)

        page = await journal.get("/api")
        entry = await journal.get(f"/api/{entry_id}")

        assert [item["id"] for item in page.json()["items"]] == [entry_id]
        assert entry.status_code == 200
        assert await metric(journal, 'journal_read_fallbacks_total{reason="replica_unavailable"}') == 2

        pair.restart_replica()
        pair.wait_replicated()
        reset_stats(pair)
        # The connection backs off after failing (at most 2 s): reads return to the replica after that.
        deadline = time.monotonic() + 5
        while command_calls(pair.replica, "evalsha", "eval") == 0 and time.monotonic() < deadline:
            assert (await journal.get("/api")).status_code == 200
            await anyio.sleep(0.05)
        assert command_calls(pair.replica, "evalsha", "eval") >= 1


async def test_both_down_refuses_reads(journal_for: ClientFactory, fresh_redis_pair: RedisPair) -> None:
    pair = fresh_redis_pair
    async with journal_for(pair) as journal:
        kill(pair.replica)
        kill(pair.primary)

        page = await journal.get("/api")
        entry = await journal.get("/api/1")

        ready = await journal.get("/readyz")

        assert (page.status_code, page.json()) == (503, READS_REFUSED)
        assert (entry.status_code, entry.json()) == (503, READS_REFUSED)
        assert ready.status_code == 503


async def test_concurrent_posts_through_two_apps_lose_nothing(
    journal_for: ClientFactory, empty_redis: RedisPair
) -> None:
    count = 200
    statuses: list[int] = []
    ids: list[int] = []
    async with journal_for(empty_redis) as first, journal_for(empty_redis) as second:

        async def post(n: int) -> None:
            response = await (first if n % 2 else second).post("/api", json={"text": f"concurrent {n}"})
            statuses.append(response.status_code)
            ids.append(response.json()["id"])

        async with anyio.create_task_group() as group:
            for n in range(count):
                group.start_soon(post, n)

        page = (await first.get("/api")).json()

    assert statuses == [201] * count
    assert sorted(ids) == list(range(1, count + 1))
    assert page["total"] == count
    primary = empty_redis.primary.client()
    assert primary.zcard("journal:index") == primary.hlen("journal:entries") == count


async def test_a_reset_primary_does_not_pin_reads_to_it(
    journal: httpx.AsyncClient, empty_redis: RedisPair
) -> None:
    for n in range(3):
        await add(journal, f"before the reset {n}")
    empty_redis.primary.client().flushall()  # the journal:version this process saw is gone
    empty_redis.wait_replicated()

    assert (await journal.get("/api")).json()["total"] == 0  # stale on the replica: asks the primary
    reset_stats(empty_redis)
    assert (await journal.get("/api")).json()["total"] == 0

    assert command_calls(empty_redis.replica, "evalsha", "eval") >= 1
    assert command_calls(empty_redis.primary, "evalsha", "eval") == 0
