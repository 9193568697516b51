"""Acknowledging a write only once replicas have it: `WAIT`, shared by concurrent writes.

`WAIT n timeout` answers how many replicas confirmed everything sent before it *on its socket*, so
all writes go over one connection and a write counts as confirmed only by a `WAIT` on the same
socket (the connection's generation) issued after the write was sent. Concurrent writes share one
`WAIT` (`Coalescer`: each joins one issued after it arrived), and a write joins it as soon as its
script is written, without waiting for the script's reply: one round-trip per batch of writes.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from journal.coalescing import Coalescer
from journal.pipelining import Arg, Connection, ReplyError
from journal.scripts import Script

Confirmation = asyncio.Future[tuple[int, list[Any]]]  # a WAIT's socket generation and reply


@dataclass(frozen=True)
class Acknowledgement:
    """How a write is confirmed: by `replicas` replicas (`WAIT`), 0 meaning the primary alone."""

    replicas: int = 0
    timeout_s: float = 1.0


PRIMARY_ALONE = Acknowledgement()


class Acknowledger:
    def __init__(self, policy: Acknowledgement) -> None:
        self.policy = policy
        self._waits: Coalescer[Connection, tuple[int, list[Any]]] = Coalescer()

    async def run(
        self, writes: Connection, script: Script, keys: tuple[str, ...], args: tuple[Arg, ...]
    ) -> tuple[int, Any, Confirmation | None]:
        """The script's socket generation and reply, and the WAIT joined right behind it (if any).

        A script the server does not know yet (NOSCRIPT) is sent in full; its WAIT is for the
        caller to join afterwards (None here).
        """
        generation, pending = await writes.send([("EVALSHA", script.sha, len(keys), *keys, *args)])
        confirmation = self.join(writes) if self.policy.replicas else None
        try:
            (reply,) = await pending
        except BaseException as err:
            if confirmation is not None:
                confirmation.cancel()
            if not (isinstance(err, ReplyError) and str(err).startswith("NOSCRIPT")):
                raise
            generation, reply = await script.run_counted(writes, keys, *args)
            return generation, reply, None
        return generation, reply, confirmation

    def join(self, writes: Connection) -> Confirmation:
        """The next WAIT on `writes`: it covers everything sent on that socket before now."""
        timeout_ms = max(1, round(self.policy.timeout_s * 1000))
        wait = ("WAIT", self.policy.replicas, timeout_ms)
        return asyncio.ensure_future(self._waits.run(writes, lambda: writes.call_counted([wait])))

    async def confirmed(self, generation: int, confirmation: Confirmation) -> bool:
        """Whether enough replicas confirmed a write sent on socket `generation` (RedisError: WAIT failed)."""
        waited, (replicas,) = await confirmation
        # A WAIT on another socket (a reconnect in between) says nothing about this write.
        return waited == generation and int(replicas) >= self.policy.replicas
