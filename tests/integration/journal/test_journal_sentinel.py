"""Sentinel mode: the API follows the primary through three real sentinels, and loses no 2xx write.

A real `python -m journal` process with JOURNAL_SENTINEL_ADDRESSES, a redis-server primary and two
replicas, and three `redis-server --sentinel` processes (tests/support/sentinel.py). Careful
clients write steadily with Idempotency-Key retries (tests/support/writeload.py) while the
primary is SIGKILLed or frozen with SIGSTOP. Two replicas, because a write is acknowledged only
once a replica has it: after a failover the new primary needs a replica of its own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from journal.acknowledging import Acknowledgement
from journal.pipelining import Address
from journal.store import Store
from kbp.ports import free_ports
from support.journal import JournalProcess, journal_env, running_journal
from support.processes import stop_group
from support.redis import (
    RedisPair,
    RedisServer,
    is_linked,
    kill,
    pause,
    resume,
    start,
    start_on_free_port,
    stop,
)
from support.sentinel import Sentinel, addresses, sentinels
from support.writeload import WriteLoad, stored_texts

pytestmark = pytest.mark.anyio

FAILOVER_DEADLINE_S = 60.0


@pytest.fixture
def second_replica(fresh_redis_pair: RedisPair, tmp_path: Path) -> Iterator[RedisServer]:
    pair = fresh_redis_pair
    server = start_on_free_port("redis-replica-2", tmp_path / "replica-2", pair.password, pair.primary.port)
    try:
        yield server
    finally:
        stop(server)


@pytest.fixture
def watched(
    fresh_redis_pair: RedisPair, second_replica: RedisServer, tmp_path: Path
) -> Iterator[list[Sentinel]]:
    pair = fresh_redis_pair
    with sentinels(tmp_path / "sentinels", pair.primary.port, pair.password, replicas=2) as started:
        yield started


@pytest.fixture
def journal(fresh_redis_pair: RedisPair, watched: list[Sentinel], tmp_path: Path) -> Iterator[JournalProcess]:
    directory = tmp_path / "journal"
    directory.mkdir()
    env = journal_env(
        fresh_redis_pair,
        port=free_ports(1)[0],
        config_dir=directory,
        sentinel_addresses=addresses(watched),
        log_level="warning",
    )
    with running_journal(env, directory) as process:
        yield process


async def until(condition: Callable[[], bool], *, what: str, timeout_s: float = FAILOVER_DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what}")
        await asyncio.sleep(0.05)


def new_primary(
    watched: list[Sentinel], old: RedisServer, candidates: list[RedisServer]
) -> RedisServer | None:
    """The replica every sentinel names as the primary, once they all moved away from `old`."""
    named = {sentinel.primary() for sentinel in watched}
    if len(named) != 1 or named == {("127.0.0.1", old.port)}:
        return None
    ((_, port),) = named  # type: ignore[misc]
    return next((server for server in candidates if server.port == port), None)


def role(server: RedisServer) -> str:
    try:
        return str(server.client(timeout_s=1.0).role()[0].decode())
    except Exception:
        return "unknown"


async def write_through_a_failover(
    servers: list[RedisServer],
    watched: list[Sentinel],
    journal: JournalProcess,
    stop_primary: Callable[[], None],
) -> tuple[WriteLoad, float, RedisServer]:
    """Load, stop the primary (servers[0]), keep loading until 20 writes were acknowledged after it."""
    promoted: list[RedisServer] = []

    def failed_over() -> bool:
        found = new_primary(watched, servers[0], servers[1:])
        promoted.extend([found] if found else [])
        return found is not None

    async with WriteLoad(journal.url) as load:
        await until(lambda: len(load.record.acknowledged) >= 20, what="writes before the failover")
        stopped_at = time.monotonic()
        stop_primary()
        await until(failed_over, what="a replica to be promoted")
        await until(lambda: load.record.acks_after(stopped_at) >= 20, what="writes to resume")
    return load, stopped_at, promoted[0]


def assert_every_acknowledged_write_stored_once(load: WriteLoad, server: RedisServer) -> None:
    stored = stored_texts(server.client().hgetall("journal:entries"))
    assert not load.record.conflicts
    missing = [text for text in load.record.acknowledged if stored[text] != 1]
    assert missing == [], f"{len(missing)} acknowledged writes lost or doubled: {missing[:5]}"
    assert all(count == 1 for count in stored.values()), stored.most_common(3)


def rejoined(server: RedisServer, primary: RedisServer) -> bool:
    """A replica of `primary`, linked and caught up with it."""
    if role(server) != "slave" or not is_linked(server):
        return False
    offset = primary.client().info("replication")["master_repl_offset"]
    return int(server.client().info("replication").get("slave_repl_offset", -1)) >= int(offset)


async def test_a_killed_primary_loses_no_acknowledged_write(
    fresh_redis_pair: RedisPair, second_replica: RedisServer, watched: list[Sentinel], journal: JournalProcess
) -> None:
    old = fresh_redis_pair.primary
    servers = [old, fresh_redis_pair.replica, second_replica]
    load, killed_at, promoted = await write_through_a_failover(servers, watched, journal, lambda: kill(old))

    print(f"writes unavailable for {load.record.unavailable_s(killed_at):.2f} s after SIGKILL")
    assert set(load.record.read_statuses) == {200}  # reads never failed
    assert_every_acknowledged_write_stored_once(load, promoted)

    # The old primary comes back with its data and is turned into a replica of the new one.
    fresh_redis_pair.primary = restarted = start(old.spec)
    await until(lambda: rejoined(restarted, promoted), what="the old primary to rejoin as a replica")
    assert_every_acknowledged_write_stored_once(load, restarted)


async def test_the_api_follows_through_another_sentinel_when_its_own_is_gone(
    fresh_redis_pair: RedisPair, second_replica: RedisServer, watched: list[Sentinel], journal: JournalProcess
) -> None:
    # The API subscribes to the first sentinel it can: take that one away before the failover.
    stop_group(watched[0].process, 10.0)
    old = fresh_redis_pair.primary
    servers = [old, fresh_redis_pair.replica, second_replica]
    load, killed_at, promoted = await write_through_a_failover(
        servers, watched[1:], journal, lambda: kill(old)
    )

    print(f"writes unavailable for {load.record.unavailable_s(killed_at):.2f} s with one sentinel gone")
    assert_every_acknowledged_write_stored_once(load, promoted)


async def test_a_frozen_primary_wakes_demoted_and_loses_no_acknowledged_write(
    fresh_redis_pair: RedisPair, second_replica: RedisServer, watched: list[Sentinel], journal: JournalProcess
) -> None:
    old = fresh_redis_pair.primary
    servers = [old, fresh_redis_pair.replica, second_replica]
    load, frozen_at, promoted = await write_through_a_failover(servers, watched, journal, lambda: pause(old))
    resume(old)

    await until(lambda: rejoined(old, promoted), what="the woken primary to rejoin as a replica")
    print(f"writes unavailable for {load.record.unavailable_s(frozen_at):.2f} s after SIGSTOP")
    assert set(load.record.read_statuses) == {200}
    for server in (promoted, old):
        assert_every_acknowledged_write_stored_once(load, server)


async def test_a_write_refused_as_readonly_finds_the_primary_and_is_not_stored_twice(
    fresh_redis_pair: RedisPair,
) -> None:
    pair = fresh_redis_pair
    replica = Address("127.0.0.1", pair.replica.port, 0, 2.0, pair.password)
    moves: list[Address] = []

    async def rediscover() -> None:  # what Sentinel would answer: the primary is elsewhere
        moves.append(replica.moved("127.0.0.1", pair.primary.port))
        await store.move_primary(moves[-1])

    store = Store(
        primary=replica,  # a demoted primary: it answers READONLY to writes
        replicas=[replica],
        observer=NullObserver(),
        acknowledgement=Acknowledgement(1, 1.0),
        rediscover=rediscover,
    )
    try:
        added = await store.add(b',"text":"after a demotion","created":"x"}')
    finally:
        await store.close()

    assert len(moves) == 1
    assert pair.primary.client().hget("journal:entries", added.id) is not None
    pair.wait_replicated()
    assert pair.replica.client().hlen("journal:entries") == 1


class NullObserver:
    def redis_error(self, *, endpoint: str, operation: str, error: Exception) -> None:
        pass

    def read_fallback(self, *, reason: str) -> None:
        pass

    def unconfirmed_write(self, *, operation: str) -> None:
        pass
