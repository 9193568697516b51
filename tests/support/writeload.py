"""A steady load of journal writes from careful clients, and a reader, for failover tests and bench.

Each writer adds entries one after another. A careful client gives every entry its own
`Idempotency-Key` and, on a 503 or a broken connection, sends the same request again with the
same key until it gets a 201 (or the load stops). What each client was told is recorded, so a test
can check afterwards that every acknowledged entry is stored exactly once.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

RETRY_PAUSE_S = 0.05


@dataclass
class LoadRecord:
    acknowledged: dict[str, float] = field(default_factory=dict)  # text -> when its 201 came
    retries: int = 0
    refusals: Counter[int] = field(default_factory=Counter)  # non-2xx statuses seen (0 = no answer)
    read_statuses: Counter[int] = field(default_factory=Counter)
    conflicts: list[str] = field(default_factory=list)
    refusal_details: list[str] = field(default_factory=list)  # the first few refusals' bodies

    def unavailable_s(self, moment: float) -> float | None:
        """The longest time without any 201 from `moment` on (how long writes were unavailable)."""
        times = sorted(at for at in self.acknowledged.values() if at > moment)
        if not times:
            return None
        gaps = [later - earlier for earlier, later in zip([moment, *times], times, strict=False)]
        return max(gaps)

    def acks_after(self, moment: float) -> int:
        return sum(at > moment for at in self.acknowledged.values())


class WriteLoad:
    """`async with WriteLoad(url, writers=6) as load:` ... `load.record` while and after it runs."""

    def __init__(self, url: str, *, writers: int = 6, readers: int = 1, marker: str | None = None) -> None:
        self.url = url
        self.writers = writers
        self.readers = readers
        self.marker = marker or uuid.uuid4().hex[:8]
        self.record = LoadRecord()
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._client = httpx.AsyncClient(base_url=url, timeout=10.0)

    async def __aenter__(self) -> WriteLoad:
        self._tasks = [asyncio.create_task(self._write(n)) for n in range(self.writers)]
        self._tasks += [asyncio.create_task(self._read()) for _ in range(self.readers)]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stopping.set()
        await asyncio.gather(*self._tasks)
        await self._client.aclose()

    async def _write(self, writer: int) -> None:
        number = 0
        while not self._stopping.is_set():
            text = f"{self.marker} writer {writer} entry {number}"
            await self._add(text, key=uuid.uuid4().hex)
            number += 1

    async def _add(self, text: str, *, key: str) -> None:
        while not self._stopping.is_set():
            try:
                response = await self._client.post(
                    "/api", json={"text": text}, headers={"Idempotency-Key": key}
                )
                status = response.status_code
            except httpx.HTTPError as err:
                status, detail = 0, f"{type(err).__name__}: {err}"
            else:
                detail = response.text[:200]
            if status == 201:
                self.record.acknowledged[text] = time.monotonic()
                return
            if status == 422:
                self.record.conflicts.append(text)
                return
            self.record.refusals[status] += 1
            if len(self.record.refusal_details) < 10:
                self.record.refusal_details.append(f"{status} {detail}")
            self.record.retries += 1
            await asyncio.sleep(RETRY_PAUSE_S)

    async def _read(self) -> None:
        while not self._stopping.is_set():
            try:
                status = (await self._client.get("/api")).status_code
            except httpx.HTTPError:
                status = 0
            self.record.read_statuses[status] += 1
            await asyncio.sleep(0.01)


def stored_texts(entries: Mapping[Any, Any]) -> Counter[str]:
    """How often each text is stored, from HGETALL journal:entries."""
    return Counter(orjson.loads(value)["text"] for value in entries.values())
