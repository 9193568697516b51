"""Pages kept in memory, exact by Redis's server-assisted client-side caching.

One RESP3 connection to the server that reads go to (the replica) asks for `CLIENT TRACKING ON BCAST
PREFIX journal:version`: Redis then pushes an `invalidate` message on it whenever `journal:version`
changes, which every add and delete does (scripts.py), including writes the replica receives by
replication, and a flush (FLUSHALL, a full resync) pushes one for everything. Each message, and the loss
of the connection, empties the cache; pages are kept only while tracking is on.

Why a page is never served after an invalidation it should have seen:
- a read may fill the cache only if no invalidation (nor loss, nor reconnection) happened between the
  moment it was asked for and its answer (`token` / `put`): a write racing with the read is never kept;
- while the tracking connection is down (or being reopened) nothing is kept or served;
- a cached page is served only after `settled()`: invalidations that reached the socket are read first;
- a PING every `HEARTBEAT_S` fails a connection that no longer answers (a frozen or unreachable server),
  which empties the cache as a loss does;
- the store serves a cached page only if its version is at least the reader's floor (the session
  token and this process's own writes), so read-your-writes never depends on the message's timing.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Generic, TypeVar

from journal.pipelining import Address, Connection, RedisError
from journal.scripts import VERSION

K = TypeVar("K")
V = TypeVar("V")
HEARTBEAT_S = 1.0


class TrackedCache(Generic[K, V]):
    def __init__(self, address: Address) -> None:
        self._connection = Connection(address, on_push=self._on_push, on_lost=self._lost)
        self._values: dict[K, V] = {}
        self._epoch = 0  # bumped by every invalidation, loss and (re)start of tracking
        self._tracking = False
        self._starting: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._closing = False

    def get(self, key: K) -> V | None:
        return self._values.get(key)

    async def settled(self) -> None:
        """Return once invalidations already in this process's socket buffer have been read.

        Two loop turns: asyncio runs a task resumed by `sleep(0)` before the I/O callbacks of the
        next turn's poll, uvloop after them. Cheap (no system call of its own), and it makes a write
        acknowledged before a request arrived invalidate what that request is served.
        """
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    def token(self) -> int | None:
        """Taken before a read; None while tracking is off (the read's answer is then not kept).

        Also starts tracking in the background when it is off.
        """
        if self._tracking:
            return self._epoch
        if not self._closing and (self._starting is None or self._starting.done()):
            self._starting = asyncio.ensure_future(self._start())
        return None

    def put(self, key: K, value: V, token: int | None) -> None:
        """Keep `value` if nothing was invalidated since `token` was taken."""
        if token is not None and self._tracking and token == self._epoch:
            self._values[key] = value

    def __len__(self) -> int:
        return len(self._values)

    async def close(self) -> None:
        self._closing = True
        # A start is let finish (it fails fast or soon times out): cancelled while connecting, it
        # would leave the socket it was opening behind. The heartbeat only waits on an open socket.
        if self._starting is not None:
            await self._starting
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        await self._connection.close()
        self._lost()

    async def _start(self) -> None:
        try:
            await self._connection.call_many(
                [("HELLO", 3), ("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", VERSION)]
            )
        except RedisError:
            return  # the connection backs off; the next token() tries again
        self._invalidate()
        self._tracking = True
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.ensure_future(self._beat())

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            if not self._tracking:
                return  # a PING now would open a socket without tracking
            with contextlib.suppress(RedisError):  # a failure has already emptied the cache
                await self._connection.call("PING")

    def _on_push(self, reply: Any) -> bool:
        if isinstance(reply, list) and reply and reply[0] == b"invalidate":
            self._invalidate()
            return True
        return False

    def _invalidate(self) -> None:
        self._epoch += 1
        self._values.clear()

    def _lost(self) -> None:
        self._tracking = False
        self._invalidate()
