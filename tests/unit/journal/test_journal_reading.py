"""Replicas: reads go to the replica that answered last, a failing one is skipped at once."""

from __future__ import annotations

import pytest

from journal.pipelining import Address, Connection, ConnectionFailedError
from journal.reading import Read, Replicas, Snapshot

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Silent:
    def redis_error(self, *, endpoint: str, operation: str, error: Exception) -> None:
        self.last = (endpoint, operation, type(error).__name__)


def replicas(count: int) -> Replicas:
    return Replicas([Address("127.0.0.1", 10_000 + index, 0, 1.0) for index in range(count)], Silent())


def reader(down: set[int], asked: list[int]) -> Read[int]:
    async def read(connection: Connection) -> Snapshot[int]:
        asked.append(connection.address.port)
        if connection.address.port in down:
            raise ConnectionFailedError("refused")
        return Snapshot(version=1, value=connection.address.port)

    return read


async def test_a_failing_replica_is_skipped_for_the_next_and_stays_skipped() -> None:
    routes, asked = replicas(3), list[int]()
    down = {10_000}
    first = await routes.read("page", reader(down, asked))
    assert first is not None
    assert (first.value, first.replica) == (10_001, 1)
    asked.clear()
    again = await routes.read("page", reader(down, asked))
    assert again is not None
    assert asked == [10_001]
    assert routes.cache() is routes.caches[1]
    await routes.close()


async def test_none_when_no_replica_answers() -> None:
    routes, asked = replicas(2), list[int]()
    assert await routes.read("page", reader({10_000, 10_001}, asked)) is None
    assert sorted(asked) == [10_000, 10_001]
    await routes.close()


def test_at_least_one_address() -> None:
    with pytest.raises(ValueError, match="at least one read address"):
        Replicas([], Silent())
