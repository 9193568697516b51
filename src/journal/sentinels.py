"""Following the primary through Redis Sentinel: at start, on `+switch-master`, and on READONLY.

`SentinelFollower.start(move)` asks the sentinels (`SENTINEL get-master-addr-by-name`) where the
primary is and calls `move(address)`; a background task then stays subscribed to `+switch-master`
on one sentinel (the next one when it goes away) and moves the store whenever the master named
`JOURNAL_SENTINEL_MASTER` moves. After each (re)subscription it asks again, so a switch announced
while it was not listening is not missed. The store calls `rediscover()` when a write is refused
with READONLY (it reached a demoted primary); concurrent calls share one lookup.

A demoted primary that still believes it is the primary (frozen, then woken) can accept a write
before Sentinel reconfigures it; that write is never acknowledged, because no replica follows
the old primary any more and `WAIT` confirms nothing (see `store`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from structlog.typing import FilteringBoundLogger

from journal.coalescing import Coalescer
from journal.pipelining import Address, Connection, RedisError

SWITCH_MASTER = "+switch-master"
PING_EVERY_S = 1.0
Move = Callable[[Address], Awaitable[None]]


class NoPrimaryError(Exception):
    """No sentinel could name the primary."""


@dataclass(frozen=True)
class Switch:
    """A parsed `+switch-master` message: `<master> <old-ip> <old-port> <new-ip> <new-port>`."""

    master: str
    host: str
    port: int

    @staticmethod
    def parse(data: bytes) -> Switch | None:
        fields = data.decode(errors="replace").split()
        if len(fields) != 5 or not fields[4].isascii() or not fields[4].isdigit():
            return None
        return Switch(fields[0], fields[3], int(fields[4]))


def parse_sentinel_addresses(text: str) -> tuple[tuple[str, int], ...]:
    """`host:port,host:port` (JOURNAL_SENTINEL_ADDRESSES); ValueError naming the bad entry."""
    addresses = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        host, _, port = item.rpartition(":")
        if not host or not port.isascii() or not port.isdigit() or not 1 <= int(port) <= 65_535:
            raise ValueError(f"expected host:port entries separated by commas (got {item[:64]!r})")
        addresses.append((host.strip("[]"), int(port)))
    return tuple(addresses)


class SentinelFollower:
    def __init__(
        self, *, sentinels: Sequence[Address], master: str, primary: Address, log: FilteringBoundLogger
    ) -> None:
        self._sentinels = tuple(sentinels)
        self._master = master
        self._primary = primary  # login, database and TLS for the primary, wherever it moves
        self._log = log
        self._move: Move | None = None
        self._lookups: Coalescer[int, Address] = Coalescer()
        self._watch: asyncio.Task[None] | None = None
        self._moves: set[asyncio.Task[None]] = set()

    async def start(self, move: Move) -> None:
        """Find the primary (a failure is logged: the watcher keeps trying) and start watching."""
        self._move = move
        await self.rediscover()
        self._watch = asyncio.create_task(self._watch_switches())

    async def stop(self) -> None:
        for task in (self._watch, *self._moves):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def rediscover(self) -> None:
        """Ask the sentinels where the primary is now and move there; if none knows, log it."""
        try:
            address = await self._lookups.run(0, self._lookup)
        except NoPrimaryError:
            self._log.warning("sentinel_no_primary", master=self._master)
            return
        await self._move_to(address)

    async def _lookup(self) -> Address:
        for sentinel in self._sentinels:
            connection = Connection(sentinel)
            try:
                reply = await connection.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self._master)
            except RedisError as err:
                self._log.warning("sentinel_error", sentinel=str(sentinel), message=str(err)[:256])
                continue
            finally:
                await connection.close()
            if isinstance(reply, list) and len(reply) == 2:
                return self._primary.moved(bytes(reply[0]).decode(), int(reply[1]))
        raise NoPrimaryError(self._master)

    async def _move_to(self, address: Address) -> None:
        if self._move is not None:
            self._log.info("sentinel_primary", master=self._master, primary=str(address))
            await self._move(address)

    def _on_message(self, reply: Any) -> bool:
        """Take pub/sub messages off the connection; everything else is a reply to a call."""
        if not (isinstance(reply, list) and len(reply) == 3 and reply[0] == b"message"):
            return False
        switch = Switch.parse(bytes(reply[2]))
        if switch is not None and switch.master == self._master:
            self._log.info("sentinel_switch_master", host=switch.host, port=switch.port)
            task = asyncio.get_running_loop().create_task(
                self._move_to(self._primary.moved(switch.host, switch.port))
            )
            self._moves.add(task)
            task.add_done_callback(self._moves.discard)
        return True

    async def _watch_switches(self) -> None:
        """Stay subscribed to one sentinel at a time; a PING each second notices it is gone."""
        turn = 0
        while True:
            sentinel = self._sentinels[turn % len(self._sentinels)]
            turn += 1
            connection = Connection(sentinel, on_push=self._on_message)
            try:
                await connection.call("SUBSCRIBE", SWITCH_MASTER)
                await self.rediscover()  # a switch may have happened while nobody listened
                while True:
                    await asyncio.sleep(PING_EVERY_S)
                    await connection.call("PING")
            except RedisError as err:
                self._log.warning("sentinel_error", sentinel=str(sentinel), message=str(err)[:256])
                await asyncio.sleep(PING_EVERY_S / 4)
            finally:
                await connection.close()
