"""Coalescing: shared calls, and never a call issued before the caller arrived."""

from __future__ import annotations

import asyncio

import pytest

from journal.coalescing import Coalescer

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Source:
    """A fake read: each call returns a new number once released."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()

    async def read(self) -> int:
        self.calls += 1
        number = self.calls
        await self.release.wait()
        return number


async def test_concurrent_callers_share_one_call() -> None:
    source, coalescer = Source(), Coalescer[str, int]()

    tasks = [asyncio.ensure_future(coalescer.run("page-1", source.read)) for _ in range(10)]
    await asyncio.sleep(0)
    source.release.set()

    assert await asyncio.gather(*tasks) == [1] * 10
    assert source.calls == 1


async def test_latecomers_get_a_call_issued_after_they_arrived() -> None:
    source, coalescer = Source(), Coalescer[str, int]()
    early = asyncio.ensure_future(coalescer.run("page-1", source.read))
    while source.calls == 0:  # until the first call is in flight
        await asyncio.sleep(0)

    late = [asyncio.ensure_future(coalescer.run("page-1", source.read)) for _ in range(5)]
    await asyncio.sleep(0)
    source.release.set()

    assert await early == 1
    assert await asyncio.gather(*late) == [2] * 5
    assert source.calls == 2


async def test_keys_do_not_share() -> None:
    source, coalescer = Source(), Coalescer[str, int]()

    tasks = [asyncio.ensure_future(coalescer.run(key, source.read)) for key in ("a", "b")]
    await asyncio.sleep(0)
    source.release.set()

    assert sorted(await asyncio.gather(*tasks)) == [1, 2]


async def test_errors_reach_every_caller_and_the_next_call_is_fresh() -> None:
    coalescer = Coalescer[str, int]()

    async def fail() -> int:
        await asyncio.sleep(0)
        raise LookupError("redis down")

    results = await asyncio.gather(*(coalescer.run("k", fail) for _ in range(3)), return_exceptions=True)

    assert all(isinstance(result, LookupError) for result in results)

    async def succeed() -> int:
        return 7

    assert await coalescer.run("k", succeed) == 7


async def test_a_caller_going_away_does_not_cancel_the_others() -> None:
    source, coalescer = Source(), Coalescer[str, int]()
    leaving = asyncio.ensure_future(coalescer.run("k", source.read))
    staying = asyncio.ensure_future(coalescer.run("k", source.read))
    await asyncio.sleep(0)

    leaving.cancel()
    source.release.set()

    assert await staying == 1
    with pytest.raises(asyncio.CancelledError):
        await leaving
