"""The Redis boundary: the journal's data model and read routing, over `pipelining` connections.

Data model (all keys under `journal:`), changed only by Lua scripts, so every write is atomic and
nothing reads-modifies-writes a whole list (the book's sample loses concurrent writes that way):

    journal:next-id   INCR counter: entry ids
    journal:entries   hash  id -> the entry's JSON, exactly as the API returns it
    journal:index     zset  member id, score id: newest first with ZREVRANGE, total with ZCARD
    journal:version   INCR counter bumped by every add and delete
    journal:idempotency:<key>   the fingerprint of an add's text, then the entry's JSON; expires

An add may carry an idempotency key (the `Idempotency-Key` header, which the local NGINX sets
when the client did not). The first add with a key stores the entry and remembers it; a repeat
within the TTL stores nothing and replays the first entry, so a retried POST never writes twice.

Reads go to the replica and fall back to the primary (`Store` docstring). Errors:

    StoreError
     └── StoreUnavailableError        Redis unreachable, loading, read-only, or refusing auth
          ├── WritesUnavailableError  "storage unavailable: writes are temporarily refused"
          └── ReadsUnavailableError   "storage unavailable: reads are temporarily refused"
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from journal.coalescing import Coalescer
from journal.models import Page
from journal.pipelining import Address, Arg, Connection, RedisError, ReplyError

KEYS = ("journal:next-id", "journal:entries", "journal:index", "journal:version")
NEXT_ID, ENTRIES, INDEX, VERSION = KEYS
IDEMPOTENCY_PREFIX = "journal:idempotency:"
FINGERPRINT_LENGTH = 64  # hex SHA-256

T = TypeVar("T")

# ARGV[1] is the entry's JSON after its id (`,"text":…}`): the id is only known inside the script.
# With an idempotency key (KEYS[5]), ARGV[2] is its TTL and ARGV[3] the request's fingerprint; a
# key seen before returns {0, fingerprint .. entry} and writes nothing.
ADD_SCRIPT = """
if KEYS[5] then
  local seen = redis.call('GET', KEYS[5])
  if seen then return {0, seen} end
end
local id = redis.call('INCR', KEYS[1])
local entry = '{"id":' .. id .. ARGV[1]
redis.call('HSET', KEYS[2], id, entry)
redis.call('ZADD', KEYS[3], id, id)
if KEYS[5] then redis.call('SET', KEYS[5], ARGV[3] .. entry, 'EX', ARGV[2]) end
return {id, redis.call('INCR', KEYS[4])}
"""
DELETE_SCRIPT = """
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('INCR', KEYS[3])
"""
# no-writes lets the script run on a read-only replica; one round-trip per page.
PAGE_SCRIPT = """#!lua flags=no-writes
local ids = redis.call('ZREVRANGE', KEYS[1], ARGV[1], ARGV[2])
local items = {}
if #ids > 0 then items = redis.call('HMGET', KEYS[2], unpack(ids)) end
return {tonumber(redis.call('GET', KEYS[3]) or '0'), redis.call('ZCARD', KEYS[1]), items}
"""


class StoreError(Exception):
    """Base of the store's errors."""


class StoreUnavailableError(StoreError):
    """Redis cannot serve the request; the message is safe to show to clients."""


class WritesUnavailableError(StoreUnavailableError):
    def __init__(self) -> None:
        super().__init__("storage unavailable: writes are temporarily refused")


class ReadsUnavailableError(StoreUnavailableError):
    def __init__(self) -> None:
        super().__init__("storage unavailable: reads are temporarily refused")


class StoreObserver(Protocol):
    """Where the store reports what it survived (metrics and logs live outside the store)."""

    def redis_error(self, *, endpoint: str, operation: str, error: Exception) -> None: ...

    def read_fallback(self, *, reason: str) -> None: ...


@dataclass(frozen=True)
class Script:
    """A Lua script run by its SHA1, sent in full once per server (NOSCRIPT)."""

    source: str

    @property
    def sha(self) -> str:
        return hashlib.sha1(self.source.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA1

    async def run(self, connection: Connection, keys: tuple[str, ...], *args: Arg) -> Any:
        try:
            return await connection.call("EVALSHA", self.sha, len(keys), *keys, *args)
        except ReplyError as err:
            if not str(err).startswith("NOSCRIPT"):
                raise
        return await connection.call("EVAL", self.source, len(keys), *keys, *args)


ADD, DELETE, PAGE = Script(ADD_SCRIPT), Script(DELETE_SCRIPT), Script(PAGE_SCRIPT)


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


class IdempotencyConflictError(Exception):
    """The idempotency key was used before for an entry with other text."""


@dataclass(frozen=True)
class Availability:
    readable: bool
    writable: bool


@dataclass(frozen=True)
class _Snapshot(Generic[T]):
    """A read together with the `journal:version` of the server that answered it."""

    version: int
    value: T


Read = Callable[[Connection], Awaitable[_Snapshot[T]]]


class Store:
    """Journal entries in Redis: writes to the primary, reads from the replica.

    Read-your-writes without `WAIT`: every add and delete returns the new `journal:version`, and
    the store remembers the highest one it wrote. Each replica read also returns the replica's
    version; when it is older than our last write (the replica has not caught up), or the entry
    is missing there, the read is repeated on the primary. This costs nothing in the common case
    (the version travels in the same round-trip) and never serves this process's client a view
    older than its own write. Writes through *other* processes are seen once replicated, which is
    the replica's usual eventual consistency. If the replica is down, reads go to the primary;
    if the primary is down, reads are served by the replica and writes raise WritesUnavailableError.
    """

    def __init__(self, *, primary: Address, replica: Address, observer: StoreObserver) -> None:
        self._primary = Connection(primary)
        self._replica = Connection(replica)
        self._observer = observer
        self._last_version = 0
        self._pages: Coalescer[tuple[int, int], Page] = Coalescer()

    async def close(self) -> None:
        await self._primary.close()
        await self._replica.close()

    async def add(self, entry_tail: bytes, idempotency: Idempotency | None = None) -> Added:
        """Store an entry (its JSON after the id) atomically, or replay the one stored under the key."""
        keys: tuple[str, ...] = (NEXT_ID, ENTRIES, INDEX, VERSION)
        args: tuple[Arg, ...] = (entry_tail,)
        if idempotency is not None:
            keys += (IDEMPOTENCY_PREFIX + idempotency.key,)
            args += (idempotency.ttl_s, idempotency.fingerprint)
        try:
            new_id, result = await ADD.run(self._primary, keys, *args)
        except RedisError as err:
            self._observer.redis_error(endpoint="write", operation="add", error=err)
            raise WritesUnavailableError from None
        if int(new_id) == 0 and idempotency is not None:
            return _replay(bytes(result), idempotency)
        self._saw_write(int(result))
        return Added(int(new_id), b'{"id":%d' % int(new_id) + entry_tail, replayed=False)

    async def delete(self, entry_id: int) -> bool:
        """Remove an entry and its index member atomically; False if there was none."""
        try:
            version = await DELETE.run(self._primary, (ENTRIES, INDEX, VERSION), entry_id)
        except RedisError as err:
            self._observer.redis_error(endpoint="write", operation="delete", error=err)
            raise WritesUnavailableError from None
        self._saw_write(int(version))
        return bool(version)

    async def get(self, entry_id: int) -> bytes | None:
        """The entry's JSON, or None; a miss on the replica is asked again on the primary."""

        async def read(connection: Connection) -> _Snapshot[bytes | None]:
            value, version = await connection.call_many([("HGET", ENTRIES, entry_id), ("GET", VERSION)])
            return _Snapshot(version=int(version or 0), value=value)

        snapshot = await self._read("get", read, found=lambda value: value is not None)
        return snapshot.value

    async def page(self, *, number: int, size: int) -> Page:
        """Page `number` (from 1) of `size` entries, newest first, with the total count.

        Concurrent reads of the same page share one Redis call issued after they arrived.
        """
        return await self._pages.run((number, size), lambda: self._read_page(number, size))

    async def _read_page(self, number: int, size: int) -> Page:

        async def read(connection: Connection) -> _Snapshot[tuple[int, tuple[bytes, ...]]]:
            start = (number - 1) * size
            version, total, items = await PAGE.run(
                connection, (INDEX, ENTRIES, VERSION), start, start + size - 1
            )
            return _Snapshot(version=int(version), value=(int(total), tuple(i for i in items if i)))

        snapshot = await self._read("page", read, found=lambda _: True)
        total, items = snapshot.value
        return Page(items=items, number=number, size=size, total=total)

    async def availability(self) -> Availability:
        """Which endpoints answer PING: readiness serves reads while either does."""
        writable = await self._answers(self._primary, "write")
        readable = writable or await self._answers(self._replica, "read")
        return Availability(readable=readable, writable=writable)

    async def _answers(self, connection: Connection, endpoint: str) -> bool:
        try:
            return bool(await connection.call("PING") == b"PONG")
        except RedisError as err:
            self._observer.redis_error(endpoint=endpoint, operation="ping", error=err)
            return False

    async def _read(self, operation: str, read: Read[T], *, found: Callable[[T], bool]) -> _Snapshot[T]:
        """Replica first; the primary when the replica fails, lags our last write, or misses."""
        replica = await self._attempt(operation, read, endpoint="read")
        if replica is not None and replica.version >= self._last_version and found(replica.value):
            return replica
        if replica is None:
            reason = "replica_unavailable"
        else:
            reason = "replica_stale" if replica.version < self._last_version else "replica_miss"
        self._observer.read_fallback(reason=reason)
        primary = await self._attempt(operation, read, endpoint="write")
        if primary is not None:
            # The primary is the truth: a lower version means its data was reset (FLUSHALL, a new
            # empty primary), and waiting for the replica to reach our old version would be forever.
            self._last_version = min(self._last_version, primary.version)
            return primary
        if replica is not None:
            return replica  # the primary is down: the replica's view is the best there is
        raise ReadsUnavailableError

    async def _attempt(self, operation: str, read: Read[T], *, endpoint: str) -> _Snapshot[T] | None:
        connection = self._replica if endpoint == "read" else self._primary
        try:
            return await read(connection)
        except RedisError as err:
            self._observer.redis_error(endpoint=endpoint, operation=operation, error=err)
            return None

    def _saw_write(self, version: int) -> None:
        self._last_version = max(self._last_version, version)


def _replay(seen: bytes, idempotency: Idempotency) -> Added:
    fingerprint, entry = seen[:FINGERPRINT_LENGTH], seen[FINGERPRINT_LENGTH:]
    if fingerprint.decode() != idempotency.fingerprint:
        raise IdempotencyConflictError
    entry_id = int(entry[6 : entry.index(b",")])  # b'{"id":<id>,...'
    return Added(entry_id, entry, replayed=True)
