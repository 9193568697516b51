"""TrackedCache: what is kept, what empties it, on a fake read connection (no server)."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import hiredis
import pytest
import uvloop

from journal.pipelining import Address, Arg, Connection
from journal.tracking import TRACKING, TrackedCache

pytestmark = pytest.mark.anyio
ADDRESS = Address("127.0.0.1", 1, 0, 1.0)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeRead(Connection):
    """A socket that is open or not, and pushes what the test feeds it."""

    def __init__(self, address: Address, **kwargs: Any) -> None:
        super().__init__(address, **kwargs)
        self.setup_commands = kwargs["setup"]
        self.open = False
        self.calls: list[tuple[Arg, ...]] = []

    def is_open(self) -> bool:
        return self.open

    async def call(self, *args: Arg) -> Any:
        self.calls.append(args)
        self.open = True
        return b"PONG"

    async def close(self) -> None:
        self.lose()

    def push(self, *message: Any) -> bool:
        reader = hiredis.Reader()
        reader.feed(b">%d\r\n" % len(message) + b"".join(_bulk(part) for part in message))
        assert self._on_push is not None
        return self._on_push(reader.gets())

    def lose(self) -> None:
        if self.open and self._on_lost is not None:
            self._on_lost()
        self.open = False


def _bulk(part: Any) -> bytes:
    if part is None:
        return b"_\r\n"
    if isinstance(part, list):
        return b"*%d\r\n" % len(part) + b"".join(_bulk(p) for p in part)
    return b"$%d\r\n%s\r\n" % (len(part), part)


def tracked() -> tuple[TrackedCache[str, str], FakeRead]:
    cache: TrackedCache[str, str] = TrackedCache(ADDRESS, connect=FakeRead)
    assert isinstance(cache.connection, FakeRead)
    return cache, cache.connection


async def test_every_socket_of_the_read_connection_is_tracked_from_its_handshake() -> None:
    cache, read = tracked()
    assert read.setup_commands == TRACKING
    assert ("HELLO", 3) in TRACKING
    assert ("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "journal:version") in TRACKING
    await cache.close()


async def test_nothing_is_kept_while_no_tracked_socket_is_open() -> None:
    cache, read = tracked()
    assert cache.token() is None
    cache.put("page", "value", cache.token())
    assert cache.get("page") is None
    read.open = True
    cache.put("page", "value", cache.token())
    assert cache.get("page") == "value"
    await cache.close()


async def test_an_invalidation_empties_the_cache_and_voids_earlier_tokens() -> None:
    cache, read = tracked()
    read.open = True
    cache.put("page", "value", cache.token())
    token = cache.token()
    assert read.push(b"invalidate", [b"journal:version"])
    assert cache.get("page") is None
    cache.put("page", "read before the write", token)  # its read raced the write
    assert cache.get("page") is None
    await cache.close()


async def test_a_flush_is_an_invalidation_of_everything() -> None:
    cache, read = tracked()
    read.open = True
    cache.put("page", "value", cache.token())
    assert read.push(b"invalidate", None)
    assert cache.get("page") is None
    await cache.close()


async def test_a_lost_socket_empties_the_cache_and_a_read_on_the_next_one_is_not_kept_by_an_old_token() -> (
    None
):
    cache, read = tracked()
    read.open = True
    token = cache.token()
    cache.put("page", "value", token)
    read.lose()
    assert cache.get("page") is None
    read.open = True  # a new socket (perhaps to another replica) answered the read
    cache.put("page", "value", token)
    assert cache.get("page") is None
    await cache.close()


async def test_other_pushes_are_taken_off_the_socket_and_replies_are_left_to_their_callers() -> None:
    cache, read = tracked()
    read.open = True
    cache.put("page", "value", cache.token())
    assert read.push(b"message", b"channel", b"data")
    assert cache.get("page") == "value"
    assert cache.connection._on_push is not None
    assert not cache.connection._on_push([b"invalidate", [b"journal:version"]])  # a reply, not a push
    assert cache.get("page") == "value"
    await cache.close()


async def test_the_heartbeat_pings_an_open_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("journal.tracking.HEARTBEAT_S", 0.01)
    cache, read = tracked()
    read.open = True
    cache.token()
    await asyncio.sleep(0.05)
    assert ("PING",) in read.calls
    await cache.close()
    assert len(cache) == 0


class Counting(asyncio.Protocol):
    def __init__(self) -> None:
        self.received = 0

    def data_received(self, data: bytes) -> None:
        self.received += 1


@pytest.mark.parametrize("loop_kind", ["asyncio", "uvloop"])
def test_settled_reads_what_already_reached_the_socket_first(loop_kind: str) -> None:
    """What `settled` promises, on each loop the journal runs on: data waiting in a socket when a
    request starts (an invalidation) is handed to its protocol before `settled` returns."""

    async def requests() -> list[bool]:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair()
        transport, protocol = await loop.create_connection(Counting, sock=ours)
        cache: TrackedCache[str, str] = TrackedCache(ADDRESS, connect=FakeRead)
        seen = []
        with theirs:
            for _ in range(50):
                before = protocol.received
                theirs.send(b"x")
                await cache.settled()
                seen.append(protocol.received > before)
        transport.close()
        return seen

    run = uvloop.run if loop_kind == "uvloop" else asyncio.run
    assert all(run(requests()))
