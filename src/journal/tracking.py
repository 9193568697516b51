"""Pages kept in memory, exact by Redis's server-assisted client-side caching.

The tracking and the reads share one connection: every socket it opens to the read address starts
with `HELLO 3` and `CLIENT TRACKING ON BCAST PREFIX journal:version` (its `setup`), and the pages are
read over that same socket. Redis then pushes an `invalidate` message on it whenever
`journal:version` changes on *that* server, which every add and delete does (scripts.py), including
writes it receives by replication, and a flush (FLUSHALL, a full resync) pushes one for everything.
Each message, and the loss of the socket, empties the cache.

Why one socket: behind a Service with several replicas, two connections to the read address may
reach two pods. A page read from a lagging replica B while the invalidations came from replica A
would stay cached after B caught up, because B's catching up is never announced to A's subscriber.
On one socket, a page comes from the server whose invalidations are subscribed, and any change that
server applies after answering the read is pushed on the same socket behind the answer.

Why a page is never served after an invalidation it should have seen:
- a read may fill the cache only if no invalidation (nor loss) happened between the moment it was
  asked for and its answer (`token` / `put`): a write racing with the read is never kept, and a read
  answered on a later socket than its token's is discarded (the loss in between bumped the epoch);
- while no tracked socket is open, `token()` is None and nothing is kept;
- a cached page is served only after `settled()`: invalidations that reached the socket are read first;
- a PING every `HEARTBEAT_S` fails a socket that no longer answers (a frozen or unreachable server),
  which empties the cache as a loss does;
- the store serves a cached page only if its version is at least the reader's floor (the session
  token and this process's own writes), so read-your-writes never depends on the message's timing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from journal.pipelining import Address, Connection, RedisError, is_push
from journal.scripts import VERSION

K = TypeVar("K")
V = TypeVar("V")
HEARTBEAT_S = 1.0
TRACKING = (("HELLO", 3), ("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", VERSION))


class TrackedCache(Generic[K, V]):
    """A cache emptied by the server that `connection` (the read connection) talks to."""

    def __init__(self, address: Address, *, connect: Callable[..., Connection] = Connection) -> None:
        self.connection = connect(address, on_push=self._on_push, on_lost=self._lost, setup=TRACKING)
        self._values: dict[K, V] = {}
        self._epoch = 0  # bumped by every invalidation and every lost socket
        self._heartbeat: asyncio.Task[None] | None = None
        self._closing = False
        self._turns: int | None = None  # loop turns `settled` takes, known once a loop runs it

    def get(self, key: K) -> V | None:
        return self._values.get(key)

    async def settled(self) -> None:
        """Return once invalidations already in this process's socket buffer have been read.

        asyncio runs a task resumed by `sleep(0)` before the I/O callbacks of the next turn's poll,
        so it takes two turns there; uvloop polls first, so one (`test_journal_tracking.py` checks
        both with data waiting in a socket). Cheap (no system call of its own), and it makes a write
        acknowledged before a request arrived invalidate what that request is served.
        """
        await asyncio.sleep(0)
        if self._turns is None:
            self._turns = 1 if type(asyncio.get_running_loop()).__module__.startswith("uvloop") else 2
        if self._turns > 1:
            await asyncio.sleep(0)

    def token(self) -> int | None:
        """Taken before a read; None while no tracked socket is open (the read's answer is then
        not kept, and the read itself opens one)."""
        if self._closing or not self.connection.is_open():
            return None
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.ensure_future(self._beat())
        return self._epoch

    def put(self, key: K, value: V, token: int | None) -> None:
        """Keep `value` if nothing was invalidated since `token` was taken."""
        if token is not None and token == self._epoch and self.connection.is_open():
            self._values[key] = value

    def __len__(self) -> int:
        return len(self._values)

    async def close(self) -> None:
        self._closing = True
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        await self.connection.close()
        self._invalidate()

    async def _beat(self) -> None:
        while self.connection.is_open():
            await asyncio.sleep(HEARTBEAT_S)
            if not self.connection.is_open():
                return  # a PING now would open a socket only to check it
            with contextlib.suppress(RedisError):  # a failure has already emptied the cache
                await self.connection.call("PING")

    def _on_push(self, reply: Any) -> bool:
        if is_push(reply):
            if reply and reply[0] == b"invalidate":
                self._invalidate()
            return True  # a push is never the answer to a call
        return False

    def _invalidate(self) -> None:
        self._epoch += 1
        self._values.clear()

    def _lost(self) -> None:
        self._invalidate()
