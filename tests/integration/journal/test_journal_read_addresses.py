"""Several read addresses: a replica killed under load is skipped at once, and reads go to the
primary only when no replica is left (real redis-servers, an in-process journal)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest

from support.journal import ClientFactory
from support.redis import ReplicaSet, kill, replica_set

pytestmark = pytest.mark.anyio


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[ReplicaSet]:
    with replica_set(tmp_path, 3) as replicas:  # a primary and two current replicas are used here
        yield replicas


def fallbacks(metrics: str) -> float:
    """Reads the journal sent to the primary because no replica answered."""
    found = re.search(r'journal_read_fallbacks_total\{reason="replica_unavailable"\} ([0-9.e+]+)', metrics)
    return float(found.group(1)) if found else 0.0


async def test_a_killed_replica_is_skipped_and_the_primary_is_the_last_resort(
    servers: ReplicaSet, journal_for: ClientFactory
) -> None:
    first, second = servers.current
    urls = f"{first.url},{second.url}"
    statuses: list[int] = []
    texts: list[str] = []

    async def read(client: httpx.AsyncClient, stop: anyio.Event) -> None:
        while not stop.is_set():
            response = await client.get("/api")
            statuses.append(response.status_code)

    async with journal_for(servers.pair(first), redis_read_url=urls) as journal:
        for turn in range(3):
            assert (await journal.post("/api", json={"text": f"before {turn}"})).status_code == 201
            texts.insert(0, f"before {turn}")
        stop = anyio.Event()
        async with anyio.create_task_group() as readers:
            for _ in range(8):
                readers.start_soon(read, journal, stop)
            await anyio.sleep(0.3)
            kill(first)  # the replica reads went to dies under load
            for turn in range(3):  # writes go on; each empties the caches
                assert (await journal.post("/api", json={"text": f"after {turn}"})).status_code == 201
                texts.insert(0, f"after {turn}")
                await anyio.sleep(0.1)
            await anyio.sleep(0.3)
            stop.set()
        assert statuses
        assert set(statuses) == {200}

        metrics = (await journal.get("/metrics")).text
        # Reads in flight on the dead socket went to the other replica, not the primary.
        assert fallbacks(metrics) == 0
        page = (await journal.get("/api")).json()
        assert [item["text"] for item in page["items"]] == texts
        served_by_second = second.client().info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)
        assert served_by_second > 0

        kill(second)  # no replica left: the primary serves
        before = fallbacks((await journal.get("/metrics")).text)
        for _ in range(3):
            response = await journal.get("/api")
            assert response.status_code == 200
            assert [item["text"] for item in response.json()["items"]] == texts
        assert fallbacks((await journal.get("/metrics")).text) >= before + 1
