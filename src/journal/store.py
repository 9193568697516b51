"""The Redis boundary: reads of entries and pages, and the writes (`writing`) that move their floor.

Writes go to the primary (`writing`: acknowledgement, idempotency). Reads go to the replicas and fall
back to the primary (`Store` docstring, `reading`); pages read from a replica are kept in memory until
that replica invalidates them (`tracking`). Errors are in `storeerrors`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from journal.acknowledging import PRIMARY_ALONE, Acknowledgement
from journal.coalescing import Coalescer
from journal.models import Page
from journal.pipelining import Address, Connection, RedisError
from journal.reading import PageKey, Read, Replicas, Snapshot, attempt_read
from journal.scripts import ENTRIES, INDEX, PAGE, VERSION
from journal.storeerrors import ReadsUnavailableError, StoreObserver
from journal.writing import Added, Idempotency, Rediscover, Writer

T = TypeVar("T")


@dataclass(frozen=True)
class Availability:
    readable: bool
    writable: bool


class Store:
    """Journal entries in Redis: writes to the primary, reads from the replica.

    Read-your-writes: every add and delete returns the new `journal:version` (the session token the
    API hands out), and the store remembers the highest one it wrote. Each replica read also returns
    the replica's version; when it is older than `at_least` (the token a client sent back) or than
    this process's last write, or the entry is missing there, the read is repeated on the primary.
    This costs nothing in the common case (the version travels in the same round-trip). If the
    replica is down, reads go to the primary; if the primary is down, reads are served by the
    replica and writes raise WritesUnavailableError.

    Writes go through `writing.Writer` (a connection of its own, since `WAIT` holds up its socket).
    """

    def __init__(
        self,
        *,
        primary: Address,
        replicas: Sequence[Address],
        observer: StoreObserver,
        acknowledgement: Acknowledgement = PRIMARY_ALONE,
        rediscover: Rediscover | None = None,
    ) -> None:
        self.primary = primary
        self._writer = Writer(primary, observer, acknowledgement, rediscover)
        self._primary = Connection(primary)
        self._observer = observer
        self._last_version = 0
        self._pages: Coalescer[PageKey, Snapshot[Page]] = Coalescer()
        # Pages read from a replica, kept until the replica they came from says they changed:
        # each replica's reads and tracking share one connection, so one server (`tracking`).
        self._replicas = Replicas(replicas, observer)

    async def close(self) -> None:
        await self._replicas.close()  # and the replica connections
        await self._writer.close()
        await self._primary.close()

    async def move_primary(self, address: Address) -> None:
        """Send writes and primary reads to `address` from now on (a Sentinel failover)."""
        if address == self.primary:
            return
        old, self.primary, self._primary = self._primary, address, Connection(address)
        await self._writer.move(address)
        await old.close()

    async def add(self, entry_tail: bytes, idempotency: Idempotency | None = None) -> Added:
        """Store an entry (its JSON after the id) atomically, or replay the one stored under the key."""
        added = await self._writer.add(entry_tail, idempotency)
        if not added.replayed:
            self._saw_write(added.version)
        return added

    async def delete(self, entry_id: int) -> int:
        """Remove an entry and its index member atomically; the new version, or 0 if there was none."""
        version = await self._writer.delete(entry_id)
        self._saw_write(version)
        return version

    async def get(self, entry_id: int, *, at_least: int = 0) -> Snapshot[bytes | None]:
        """The entry's JSON (or None) as of `at_least` or later; a replica miss is asked of the primary."""

        async def read(connection: Connection) -> Snapshot[bytes | None]:
            value, version = await connection.call_many([("HGET", ENTRIES, entry_id), ("GET", VERSION)])
            return Snapshot(version=int(version or 0), value=value)

        return await self._read("get", read, found=lambda value: value is not None, at_least=at_least)

    async def page(self, *, number: int, size: int, at_least: int = 0) -> Snapshot[Page]:
        """Page `number` (from 1) of `size` entries, newest first, with the total count.

        A page kept in memory (`tracking`) is served without a round trip when it is at least as new
        as the caller's token and this process's own writes. Otherwise concurrent reads of the same
        page share one Redis call issued after they arrived; a caller whose token is newer than that
        call's answer asks the primary itself.
        """
        key = (number, size)
        cache = self._replicas.cache()
        if cache.get(key) is not None:
            await cache.settled()
            cached = cache.get(key)
            if cached is not None and cached.version >= max(self._last_version, at_least):
                return cached
        tokens = self._replicas.tokens()  # before the read: an invalidation during it discards the answer
        snapshot = await self._pages.run(key, lambda: self._read("page", self._page_read(key), found=_any))
        self._replicas.keep(key, snapshot, tokens)
        if snapshot.version >= at_least:
            return snapshot
        return await self._read("page", self._page_read(key), found=_any, at_least=at_least)

    @staticmethod
    def _page_read(key: PageKey) -> Read[Page]:
        number, size = key

        async def read(connection: Connection) -> Snapshot[Page]:
            start = (number - 1) * size
            version, total, items = await PAGE.run(
                connection, (INDEX, ENTRIES, VERSION), start, start + size - 1
            )
            page = Page(items=tuple(i for i in items if i), number=number, size=size, total=int(total))
            return Snapshot(version=int(version), value=page)

        return read

    async def availability(self) -> Availability:
        """Which endpoints answer PING: readiness serves reads while either does."""
        writable = await self._answers(self._primary, "write")
        readable = writable or await self._replicas.any_answers()
        return Availability(readable=readable, writable=writable)

    async def _answers(self, connection: Connection, endpoint: str) -> bool:
        try:
            return bool(await connection.call("PING") == b"PONG")
        except RedisError as err:
            self._observer.redis_error(endpoint=endpoint, operation="ping", error=err)
            return False

    async def _read(
        self, operation: str, read: Read[T], *, found: Callable[[T], bool], at_least: int = 0
    ) -> Snapshot[T]:
        """A replica first; the primary when every replica fails, or the one that answered lags the
        floor or misses."""
        floor = max(self._last_version, at_least)
        replica = await self._replicas.read(operation, read)
        if replica is not None and replica.version >= floor and found(replica.value):
            return replica
        if replica is None:
            reason = "replica_unavailable"
        else:
            reason = "replica_stale" if replica.version < floor else "replica_miss"
        self._observer.read_fallback(reason=reason)
        primary = await attempt_read(self._primary, self._observer, operation, read, endpoint="write")
        if primary is not None:
            # The primary is the truth: a lower version means its data was reset (FLUSHALL, a new
            # empty primary), and waiting for the replica to reach our old version would be forever.
            self._last_version = min(self._last_version, primary.version)
            return replace(primary, from_primary=True)
        if replica is not None:
            return replica  # the primary is down: the replica's view is the best there is
        raise ReadsUnavailableError

    def _saw_write(self, version: int) -> None:
        self._last_version = max(self._last_version, version)


def _any(_: object) -> bool:
    return True
