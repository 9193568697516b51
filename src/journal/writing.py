"""Writes: the add and delete scripts on the primary, and their acknowledgement.

With `Acknowledgement.replicas` > 0 (the replicated modes) a write is acknowledged only once that many
replicas confirmed it (`acknowledging`); when they do not in time, or the reply is lost, the write's
fate is unknown and `WriteFateUnknownError` says so. An add with an idempotency key stores once: a
repeat within the TTL replays the first entry, which is what makes a retry after an unknown fate safe
and what settles it.

Writes use a connection of their own, because `WAIT` holds up every later command on its socket;
concurrent writes share one `WAIT` sent right behind their scripts (group commit, `acknowledging`).
A READONLY reply means the primary was demoted: `rediscover` (Sentinel) is asked for the new one
and the write, which was refused and so not stored, is sent there once more.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from journal.acknowledging import Acknowledgement, Acknowledger, Confirmation
from journal.pipelining import Address, Arg, Connection, RedisError, ReplyError, ReplyLostError
from journal.scripts import (
    ADD,
    DELETE,
    ENTRIES,
    FINGERPRINT_LENGTH,
    IDEMPOTENCY_PREFIX,
    INDEX,
    NEXT_ID,
    VERSION,
    Script,
)
from journal.storeerrors import (
    ADD_RETRY,
    DELETE_RETRY,
    IdempotencyConflictError,
    StoreObserver,
    WriteFateUnknownError,
    WritesUnavailableError,
)

Rediscover = Callable[[], Awaitable[None]]


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


class Writer:
    """The primary's write connection and the acknowledgement of what is sent over it."""

    def __init__(
        self,
        primary: Address,
        observer: StoreObserver,
        acknowledgement: Acknowledgement,
        rediscover: Rediscover | None,
    ) -> None:
        self._connection = Connection(primary)
        self._observer = observer
        self._acks = Acknowledger(acknowledgement)
        self._rediscover = rediscover

    async def move(self, address: Address) -> None:
        old, self._connection = self._connection, Connection(address)
        await old.close()

    async def close(self) -> None:
        await self._connection.close()

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
        return Added(
            int(new_id), b'{"id":%d' % int(new_id) + entry_tail, replayed=False, version=int(version)
        )

    async def delete(self, entry_id: int) -> int:
        """Remove an entry and its index member atomically; the new version, or 0 if there was none."""
        return int(
            await self._write("delete", DELETE, (ENTRIES, INDEX, VERSION), (entry_id,), retry=DELETE_RETRY)
        )

    async def _write(
        self, operation: str, script: Script, keys: tuple[str, ...], args: tuple[Arg, ...], *, retry: str
    ) -> Any:
        """Run a write script on the primary and wait for its acknowledgement."""
        for attempt in (1, 2):
            writes = self._connection
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
            if reply != 0 and self._acks.policy.replicas:  # a delete of nothing wrote nothing
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


def _replay(seen: bytes, idempotency: Idempotency, version: int) -> Added:
    fingerprint, entry = seen[:FINGERPRINT_LENGTH], seen[FINGERPRINT_LENGTH:]
    if fingerprint.decode() != idempotency.fingerprint:
        raise IdempotencyConflictError
    entry_id = int(entry[6 : entry.index(b",")])  # b'{"id":<id>,...'
    return Added(entry_id, entry, replayed=True, version=version)
