"""The Redis boundary: the journal's data model (`scripts`), acknowledgement and read routing.

Writes go to the primary. With `Acknowledgement.replicas` > 0 (the replicated modes) a write is
acknowledged only once that many replicas confirmed it (`acknowledging`); when they do not in time, or the
reply is lost, the write's fate is unknown and `WriteFateUnknownError` says so. An add with an
idempotency key stores once: a repeat within the TTL replays the first entry, which is what makes a
retry after an unknown fate safe and what settles it.

Reads go to the replicas and fall back to the primary (`Store` docstring, `reading`). Errors:

    StoreError
     ├── IdempotencyConflictError      the key was used for other text
     └── StoreUnavailableError        Redis unreachable, loading, read-only, or refusing auth
          ├── WritesUnavailableError  "storage unavailable: writes are temporarily refused"
          ├── WriteFateUnknownError   "storage unavailable: the write was not confirmed ..."
          └── ReadsUnavailableError   "storage unavailable: reads are temporarily refused"
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from journal.acknowledging import PRIMARY_ALONE, Acknowledgement, Acknowledger, Confirmation
from journal.coalescing import Coalescer
from journal.models import Page
from journal.pipelining import Address, Arg, Connection, RedisError, ReplyError, ReplyLostError
from journal.reading import PageKey, Read, Replicas, Snapshot, attempt_read
from journal.scripts import (
    ADD,
    DELETE,
    ENTRIES,
    FINGERPRINT_LENGTH,
    IDEMPOTENCY_PREFIX,
    INDEX,
    NEXT_ID,
    PAGE,
    VERSION,
    Script,
)

T = TypeVar("T")


class StoreError(Exception):
    """Base of the store's errors."""


class StoreUnavailableError(StoreError):
    """Redis cannot serve the request; the message is safe to show to clients."""


class WritesUnavailableError(StoreUnavailableError):
    def __init__(self) -> None:
        super().__init__("storage unavailable: writes are temporarily refused")


class WriteFateUnknownError(StoreUnavailableError):
    """The write reached the primary, or may have, but no replica confirmed it in time."""

    def __init__(self, retry: str) -> None:
        super().__init__(
            "storage unavailable: the write was not confirmed by a replica in time, so it may or may"
            f" not have been stored; {retry}"
        )


ADD_RETRY = "retrying with the same Idempotency-Key settles it"
DELETE_RETRY = "retrying the DELETE settles it (404: it was deleted)"


class ReadsUnavailableError(StoreUnavailableError):
    def __init__(self) -> None:
        super().__init__("storage unavailable: reads are temporarily refused")


class IdempotencyConflictError(StoreError):
    """The idempotency key was used before for an entry with other text."""


class StoreObserver(Protocol):
    """Where the store reports what it survived (metrics and logs live outside the store)."""

    def redis_error(self, *, endpoint: str, operation: str, error: Exception) -> None: ...

    def read_fallback(self, *, reason: str) -> None: ...

    def unconfirmed_write(self, *, operation: str) -> None: ...


@dataclass(frozen=True)
class Idempotency:
    """An add's idempotency key, how long to remember it, and what the request asked for."""

    key: str
    ttl_s: int
    fingerprint: str  # hex SHA-256 of the entry's text: a repeat with other text is a conflict

    @staticmethod
    def of(key: str, text: str, ttl_s: int) -> Idempotency:
        return Idempotency(key, ttl_s, hashlib.sha256(text.encode()).hexdigest())


@dataclass(frozen=True)
class Added:
    id: int
    entry: bytes  # the stored JSON, as the API returns it
    replayed: bool  # an earlier add with the same idempotency key stored it
    version: int  # `journal:version` after the add (at least that, for a replay)


@dataclass(frozen=True)
class Availability:
    readable: bool
    writable: bool


Rediscover = Callable[[], Awaitable[None]]


class Store:
    """Journal entries in Redis: writes to the primary, reads from the replica.

    Read-your-writes: every add and delete returns the new `journal:version` (the session token the
    API hands out), and the store remembers the highest one it wrote. Each replica read also returns
    the replica's version; when it is older than `at_least` (the token a client sent back) or than
    this process's last write, or the entry is missing there, the read is repeated on the primary.
    This costs nothing in the common case (the version travels in the same round-trip). If the
    replica is down, reads go to the primary; if the primary is down, reads are served by the
    replica and writes raise WritesUnavailableError.

    Writes use a connection of their own, because `WAIT` holds up every later command on its socket;
    concurrent writes share one `WAIT` sent right behind their scripts (`acknowledging`). A READONLY reply
    means the primary was demoted: `rediscover` (Sentinel) is asked for the new one and the write,
    which was refused and so not stored, is sent there once more.
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
        self._writes = Connection(primary)
        self._primary = Connection(primary)
        self._observer = observer
        self._acks = Acknowledger(acknowledgement)
        self._rediscover = rediscover
        self._last_version = 0
        self._pages: Coalescer[PageKey, Snapshot[Page]] = Coalescer()
        # Pages read from a replica, kept until the replica they came from says they changed:
        # each replica's reads and tracking share one connection, so one server (`tracking`).
        self._replicas = Replicas(replicas, observer)

    async def close(self) -> None:
        await self._replicas.close()  # and the replica connections
        for connection in (self._writes, self._primary):
            await connection.close()

    async def move_primary(self, address: Address) -> None:
        """Send writes and primary reads to `address` from now on (a Sentinel failover)."""
        if address == self.primary:
            return
        old = (self._writes, self._primary)
        self.primary, self._writes, self._primary = address, Connection(address), Connection(address)
        for connection in old:
            await connection.close()

    async def add(self, entry_tail: bytes, idempotency: Idempotency | None = None) -> Added:
        """Store an entry (its JSON after the id) atomically, or replay the one stored under the key."""
        keys: tuple[str, ...] = (NEXT_ID, ENTRIES, INDEX, VERSION)
        args: tuple[Arg, ...] = (entry_tail,)
        if idempotency is not None:
            keys += (IDEMPOTENCY_PREFIX + idempotency.key,)
            args += (idempotency.ttl_s, idempotency.fingerprint)
        new_id, seen, version = await self._write("add", ADD, keys, args, retry=ADD_RETRY)
        if int(new_id) == 0 and idempotency is not None:
            return _replay(bytes(seen), idempotency, int(version))
        self._saw_write(int(version))
        return Added(
            int(new_id), b'{"id":%d' % int(new_id) + entry_tail, replayed=False, version=int(version)
        )

    async def delete(self, entry_id: int) -> int:
        """Remove an entry and its index member atomically; the new version, or 0 if there was none."""
        version = int(
            await self._write("delete", DELETE, (ENTRIES, INDEX, VERSION), (entry_id,), retry=DELETE_RETRY)
        )
        self._saw_write(version)
        return version

    async def _write(
        self, operation: str, script: Script, keys: tuple[str, ...], args: tuple[Arg, ...], *, retry: str
    ) -> Any:
        """Run a write script on the primary and wait for its acknowledgement."""
        for attempt in (1, 2):
            writes = self._writes
            try:
                generation, reply, confirmation = await self._acks.run(writes, script, keys, args)
            except ReplyLostError as err:
                self._observer.redis_error(endpoint="write", operation=operation, error=err)
                raise WriteFateUnknownError(retry) from None
            except ReplyError as err:
                self._observer.redis_error(endpoint="write", operation=operation, error=err)
                if str(err).startswith("READONLY") and self._rediscover is not None and attempt == 1:
                    await self._rediscover()  # refused, so not stored: safe to send again
                    continue
                raise WritesUnavailableError from None
            except RedisError as err:
                self._observer.redis_error(endpoint="write", operation=operation, error=err)
                raise WritesUnavailableError from None
            if reply == 0:  # a delete of nothing wrote nothing
                if confirmation is not None:
                    confirmation.cancel()
            elif self._acks.policy.replicas:
                await self._confirm(
                    writes, generation, confirmation or self._acks.join(writes), operation, retry
                )
            return reply
        raise WritesUnavailableError

    async def _confirm(
        self, writes: Connection, generation: int, confirmation: Confirmation, operation: str, retry: str
    ) -> None:
        """Until enough replicas have the write, or raise WriteFateUnknownError."""
        try:
            confirmed = await self._acks.confirmed(generation, confirmation)
        except RedisError as err:
            self._observer.redis_error(endpoint="write", operation="wait", error=err)
            confirmed = False
        if not confirmed:
            self._observer.unconfirmed_write(operation=operation)
            raise WriteFateUnknownError(retry)

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


def _replay(seen: bytes, idempotency: Idempotency, version: int) -> Added:
    fingerprint, entry = seen[:FINGERPRINT_LENGTH], seen[FINGERPRINT_LENGTH:]
    if fingerprint.decode() != idempotency.fingerprint:
        raise IdempotencyConflictError
    entry_id = int(entry[6 : entry.index(b",")])  # b'{"id":<id>,...'
    return Added(entry_id, entry, replayed=True, version=version)
