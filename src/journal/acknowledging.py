"""Acknowledging a write only once replicas have it: `WAIT`, shared by concurrent writes.

`WAIT n timeout` answers how many replicas confirmed everything sent before it *on its socket*, so
all writes go over one connection and a write counts as confirmed only by a `WAIT` on the same
socket (the connection's generation) written after the write's script.

Group commit: the scripts sent in one event-loop turn share one `WAIT`, written behind them in the
same socket write at the end of the turn (`Connection.send_last`), without waiting for the scripts'
replies or for earlier `WAIT`s. Redis runs
a connection's commands in order and holds the ones behind a blocked `WAIT` until it returns, so
`WAIT`s pipelined on one socket each cover the scripts before them, and the primary answers them as
its replicas' acknowledgements arrive: no round trip to the API between one batch's `WAIT` and the
next (an earlier version sent the next `WAIT` only once the previous one had answered).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from journal.pipelining import Arg, Connection, ReplyError
from journal.scripts import Script

Confirmation = asyncio.Future[tuple[int, Any]]  # a WAIT's socket generation and reply


@dataclass(frozen=True)
class Acknowledgement:
    """How a write is confirmed: by `replicas` replicas (`WAIT`), 0 meaning the primary alone."""

    replicas: int = 0
    timeout_s: float = 1.0


PRIMARY_ALONE = Acknowledgement()


class Acknowledger:
    def __init__(self, policy: Acknowledgement) -> None:
        self.policy = policy
        # The WAIT not yet written, per connection, with the generation of the socket it goes on.
        self._next: dict[Connection, tuple[int, Confirmation]] = {}

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
            if not (isinstance(err, ReplyError) and str(err).startswith("NOSCRIPT")):
                raise
            generation, reply = await script.run_counted(writes, keys, *args)
            return generation, reply, None
        return generation, reply, confirmation

    def join(self, writes: Connection) -> Confirmation:
        """The next WAIT on `writes`: written behind everything sent on that socket in this turn."""
        pending = self._next.get(writes)
        if pending is not None and pending[0] == writes.generation and not pending[1].done():
            return pending[1]
        timeout_ms = max(1, round(self.policy.timeout_s * 1000))
        confirmation = writes.send_last(
            # Taken off as the WAIT is written: a script sent after it joins the next one.
            ("WAIT", self.policy.replicas, timeout_ms),
            on_written=lambda: self._written(writes, confirmation),
        )
        self._next[writes] = (writes.generation, confirmation)
        # Shared: no caller may cancel it, and one whose write failed just drops it.
        confirmation.add_done_callback(_retrieve)
        return confirmation

    def _written(self, writes: Connection, confirmation: Confirmation) -> None:
        pending = self._next.get(writes)
        if pending is not None and pending[1] is confirmation:
            del self._next[writes]

    async def confirmed(self, generation: int, confirmation: Confirmation) -> bool:
        """Whether enough replicas confirmed a write sent on socket `generation` (RedisError: WAIT failed)."""
        # shield: a caller that goes away (a client hung up) must not cancel the others' WAIT
        waited, replicas = await asyncio.shield(confirmation)
        # A WAIT on another socket (a reconnect in between) says nothing about this write.
        return waited == generation and int(replicas) >= self.policy.replicas


def _retrieve(done: Confirmation) -> None:
    if not done.cancelled():
        done.exception()  # each caller still sees it; this only marks it as retrieved
