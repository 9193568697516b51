"""Pages stay exact behind a Service of several replicas, one of them lagging.

The reader reaches the replicas through a round-robin stand-in for the `redis-read` Service, so its
connections land on different pods. The lagging replica follows the primary through a relay; the
relay is paused (SIGSTOP) so the replica falls behind while it keeps answering reads. Each reader in
turn lands on another replica first, so every replica is the one it reads from once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from support.journal import ClientFactory
from support.redis import ReplicaSet, caught_up, paused, replica_set
from support.service import RoundRobinService

pytestmark = pytest.mark.anyio
SETTLE_S = 2.0  # an invalidation travels in well under this; a stale page stays forever


@pytest.fixture(params=[2, 3], ids=["2-replicas", "3-replicas"])
def replicas(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReplicaSet]:
    with replica_set(tmp_path, request.param) as servers:
        yield servers


async def texts(client: httpx.AsyncClient, **headers: str) -> list[str]:
    response = await client.get("/api", headers=headers)
    response.raise_for_status()
    return [item["text"] for item in response.json()["items"]]


async def settles_to(client: httpx.AsyncClient, expected: list[str]) -> list[str]:
    """What the reader serves once SETTLE_S has passed without it serving `expected`, or `expected`."""
    seen: list[str] = []
    with anyio.move_on_after(SETTLE_S):
        while (seen := await texts(client)) != expected:
            await anyio.sleep(0.02)
    return seen


@pytest.fixture
async def service(replicas: ReplicaSet) -> AsyncIterator[RoundRobinService]:
    service = await RoundRobinService([server.port for server in replicas.replicas]).start()
    yield service
    await service.close()


async def test_no_page_from_a_lagging_replica_is_served_stale_or_stays_cached(
    replicas: ReplicaSet, service: RoundRobinService, journal_for: ClientFactory
) -> None:
    expected: list[str] = []
    # The writer reads from a current replica directly; only the reader goes through the Service.
    async with journal_for(replicas.pair(replicas.current[0])) as writer:
        for turn in range(len(replicas.replicas)):
            async with journal_for(replicas.pair(replicas.lagging), redis_read_url=service.url()) as reader:
                await writer.post("/api", json={"text": f"{turn} before"})
                expected.insert(0, f"{turn} before")
                replicas.all_caught_up()
                assert await texts(reader) == expected
                assert await texts(reader) == expected  # now from memory

                with paused(replicas.relay):  # the lagging replica stops receiving writes
                    added = await writer.post("/api", json={"text": f"{turn} during"})
                    assert added.status_code == 201  # acknowledged by a current replica
                    older, expected = list(expected), [f"{turn} during", *expected]
                    for server in replicas.current:
                        caught_up(replicas.primary, server)
                    for _ in range(5):
                        # Without a token, any replica's view; never one no replica holds.
                        assert await texts(reader) in (older, expected)
                        token = {"Journal-Version": added.headers["journal-version"]}
                        assert await texts(reader, **token) == expected

                replicas.all_caught_up()  # the lag is over
                assert await settles_to(reader, expected) == expected
                assert await texts(reader) == expected
            assert len(service.picked) > turn  # the reader did go through the Service
    # Every replica answered some reader through the Service, the lagging one included.
    assert set(service.picked) == {server.port for server in replicas.replicas}
