"""Request coalescing: concurrent identical reads share one Redis call.

Each caller gets the result of a call that was *issued after it arrived*, so coalescing never serves
a read older than the request (a client that saw its write acknowledged still sees it). While a call
for a key is in flight, newcomers queue for the next one, which starts when the first finishes; every
request arriving before that next call is issued shares it. Under load this turns N concurrent
`GET /api` into about two Redis round-trips per round-trip time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Coalescer(Generic[K, V]):
    def __init__(self) -> None:
        self._running: dict[K, asyncio.Future[V]] = {}
        self._queued: dict[K, asyncio.Future[V]] = {}

    async def run(self, key: K, call: Callable[[], Awaitable[V]]) -> V:
        """`await call()`, or share a call for `key` that has not been issued yet."""
        shared = self._queued.get(key)
        if shared is None:
            running = self._running.get(key)
            shared = self._queued[key] = asyncio.ensure_future(self._issue(running, key, call))
        # shield: a caller that goes away must not cancel the call the others wait for
        return await asyncio.shield(shared)

    async def _issue(self, running: asyncio.Future[V] | None, key: K, call: Callable[[], Awaitable[V]]) -> V:
        if running is not None:
            await asyncio.wait([running])
        # From here on newcomers queue for the next call: ours is issued without suspending first.
        self._track(key, self._queued.pop(key))
        return await call()

    def _track(self, key: K, task: asyncio.Future[V]) -> asyncio.Future[V]:
        self._running[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))
        return task

    def _finished(self, key: K, done: asyncio.Future[V]) -> None:
        if self._running.get(key) is done:
            del self._running[key]
        if not done.cancelled():
            done.exception()  # retrieved here: callers may all have gone; each one still sees it
