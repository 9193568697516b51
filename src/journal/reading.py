"""Read routing: snapshots, and the replicas a read is tried on before the primary.

Several read addresses (`JOURNAL_REDIS_READ_URL` with URLs separated by commas: the pods of a
headless Service, each replica by name) are tried from the one that answered last: a replica that
fails is skipped at once for the next, and stays skipped while it fails (its connection backs off,
so a dead pod costs no connect per read). The store asks the primary only when no replica answered.

Each replica has its own connection, tracked (`tracking`): a page is cached only in the cache of the
replica it came from, and that replica's invalidations empty it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Generic, Protocol, TypeVar

from journal.models import Page
from journal.pipelining import Address, Connection, RedisError, ReplyLostError
from journal.tracking import TrackedCache

T = TypeVar("T")
PageKey = tuple[int, int]  # (number, size)


@dataclass(frozen=True)
class Snapshot(Generic[T]):
    """A read together with the `journal:version` of the server that answered it."""

    version: int
    value: T
    from_primary: bool = False
    replica: int = 0  # which read address answered (when not from the primary)


Read = Callable[[Connection], Awaitable[Snapshot[T]]]


class ReadObserver(Protocol):
    def redis_error(self, *, endpoint: str, operation: str, error: Exception) -> None: ...


async def attempt_read(
    connection: Connection, observer: ReadObserver, operation: str, read: Read[T], *, endpoint: str
) -> Snapshot[T] | None:
    """One read; read again at once if the server closed the socket under it (a read is safe to
    repeat, and Sentinel closes every client's socket on the servers it reconfigures)."""
    for try_number in (1, 2):
        try:
            return await read(connection)
        except ReplyLostError as err:
            observer.redis_error(endpoint=endpoint, operation=operation, error=err)
            if err.timed_out or try_number == 2:
                return None
        except RedisError as err:
            observer.redis_error(endpoint=endpoint, operation=operation, error=err)
            return None
    return None


class Replicas:
    """The read addresses, each with its tracked connection and page cache."""

    def __init__(self, addresses: Sequence[Address], observer: ReadObserver) -> None:
        if not addresses:
            raise ValueError("at least one read address is needed")
        self.caches: tuple[TrackedCache[PageKey, Snapshot[Page]], ...] = tuple(
            TrackedCache(address) for address in addresses
        )
        self._observer = observer
        self._current = 0  # the replica that answered last

    def cache(self) -> TrackedCache[PageKey, Snapshot[Page]]:
        """The cache of the replica reads go to now."""
        return self.caches[self._current]

    def tokens(self) -> list[int | None]:
        """Every cache's token, taken before a read (whichever replica answers it)."""
        return [cache.token() for cache in self.caches]

    def keep(self, key: PageKey, snapshot: Snapshot[Page], tokens: list[int | None]) -> None:
        """Cache a page read from a replica, in that replica's cache only."""
        if not snapshot.from_primary:
            self.caches[snapshot.replica].put(key, snapshot, tokens[snapshot.replica])

    async def read(self, operation: str, read: Read[T]) -> Snapshot[T] | None:
        """The first replica's answer, from the one that answered last on; None if none answers."""
        count = len(self.caches)
        for step in range(count):
            index = (self._current + step) % count
            connection = self.caches[index].connection
            snapshot = await attempt_read(connection, self._observer, operation, read, endpoint="read")
            if snapshot is not None:
                self._current = index
                return replace(snapshot, replica=index)
        return None

    async def any_answers(self) -> bool:
        for cache in self.caches:
            try:
                if await cache.connection.call("PING") == b"PONG":
                    return True
            except RedisError as err:
                self._observer.redis_error(endpoint="read", operation="ping", error=err)
        return False

    async def close(self) -> None:
        for cache in self.caches:
            await cache.close()
