"""Acknowledger: one WAIT per loop turn of writes (group commit), counted only on the write's socket."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest

from journal.acknowledging import Acknowledgement, Acknowledger
from journal.pipelining import Address, Arg, Connection, ReplyError
from journal.scripts import ADD

pytestmark = pytest.mark.anyio
KEYS = ("k",)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeWrites(Connection):
    """Scripts answer at once (or with `script_error`); WAITs answer `replicas` once released."""

    def __init__(self, replicas: int = 1) -> None:
        super().__init__(Address("127.0.0.1", 1, 0, 1.0))
        self.generation = 1
        self.replicas = replicas
        self.sent: list[tuple[Arg, ...]] = []
        self.script_error: ReplyError | None = None
        self.known = True  # the server has the script (EVALSHA works)
        self.release = asyncio.Event()
        self.release.set()
        self.answering: set[asyncio.Future[None]] = set()

    async def send(self, commands: Sequence[Sequence[Arg]]) -> tuple[int, Awaitable[list[Any]]]:
        self.sent += [tuple(command) for command in commands]
        generation, error = self.generation, self.script_error
        self.script_error = None

        async def replies() -> list[Any]:
            if error is not None:
                raise error
            return [7]

        return generation, replies()

    def send_last(
        self, command: Sequence[Arg], on_written: Callable[[], None]
    ) -> asyncio.Future[tuple[int, Any]]:
        """As the socket does: written at the end of the turn, behind what was sent in it."""
        loop = asyncio.get_running_loop()
        result: asyncio.Future[tuple[int, Any]] = loop.create_future()
        generation = self.generation

        async def answer() -> None:
            await self.release.wait()
            if not result.done():
                result.set_result((generation, self.replicas))

        def write() -> None:
            on_written()
            self.sent.append(tuple(command))
            self.answering.add(asyncio.ensure_future(answer()))

        loop.call_soon(write)
        return result

    async def call_counted(self, commands: Sequence[Sequence[Arg]]) -> tuple[int, list[Any]]:
        generation = self.generation
        self.sent += [tuple(command) for command in commands]
        if commands[0][0] == "WAIT":
            await self.release.wait()
            return generation, [self.replicas]
        if commands[0][0] == "EVALSHA" and not self.known:
            raise ReplyError("NOSCRIPT No matching script")
        self.known = True  # EVAL loads the script
        return generation, [7]

    def waits(self) -> int:
        return sum(1 for command in self.sent if command[0] == "WAIT")


async def test_a_write_is_confirmed_by_a_wait_sent_right_behind_it() -> None:
    writes, acks = FakeWrites(), Acknowledger(Acknowledgement(replicas=1, timeout_s=0.5))
    generation, reply, confirmation = await acks.run(writes, ADD, KEYS, ())
    assert reply == 7
    assert confirmation is not None
    assert await acks.confirmed(generation, confirmation)
    assert writes.sent[0][0] == "EVALSHA"
    assert writes.sent[1] == ("WAIT", 1, 500)


async def test_concurrent_writes_share_one_wait() -> None:
    writes, acks = FakeWrites(), Acknowledger(Acknowledgement(replicas=1))
    writes.release.clear()
    runs = [await acks.run(writes, ADD, KEYS, ()) for _ in range(3)]
    writes.release.set()
    assert all([await acks.confirmed(g, c) for g, _, c in runs if c is not None])
    assert writes.waits() == 1


async def test_too_few_replicas_is_not_a_confirmation() -> None:
    writes, acks = FakeWrites(replicas=1), Acknowledger(Acknowledgement(replicas=2))
    generation, _, confirmation = await acks.run(writes, ADD, KEYS, ())
    assert confirmation is not None
    assert not await acks.confirmed(generation, confirmation)


async def test_a_wait_on_another_socket_confirms_nothing() -> None:
    writes, acks = FakeWrites(), Acknowledger(Acknowledgement(replicas=1))
    generation, _, _ = await acks.run(writes, ADD, KEYS, ())
    writes.generation += 1  # the socket was replaced before the WAIT went out
    assert not await acks.confirmed(generation, acks.join(writes))


async def test_the_primary_alone_sends_no_wait() -> None:
    writes, acks = FakeWrites(), Acknowledger(Acknowledgement(replicas=0))
    _, reply, confirmation = await acks.run(writes, ADD, KEYS, ())
    assert reply == 7
    assert confirmation is None
    assert writes.waits() == 0


async def test_an_unknown_script_is_sent_in_full_and_its_wait_left_to_the_caller() -> None:
    writes, acks = FakeWrites(), Acknowledger(Acknowledgement(replicas=1))
    writes.script_error, writes.known = ReplyError("NOSCRIPT No matching script"), False
    _, reply, confirmation = await acks.run(writes, ADD, KEYS, ())
    assert reply == 7
    assert confirmation is None
    assert [command[0] for command in writes.sent if command[0] != "WAIT"] == ["EVALSHA", "EVALSHA", "EVAL"]


async def test_a_refused_write_raises_and_leaves_the_shared_wait_to_the_others() -> None:
    writes, acks = FakeWrites(), Acknowledger(Acknowledgement(replicas=1))
    generation, _, stored = await acks.run(writes, ADD, KEYS, ())
    writes.script_error = ReplyError("READONLY You can't write against a read only replica.")
    with pytest.raises(ReplyError, match="READONLY"):
        await acks.run(writes, ADD, KEYS, ())
    assert stored is not None
    assert await acks.confirmed(generation, stored)


async def turn() -> None:
    """Let the loop write the WAITs joined so far (at the end of the turn) and answer them."""
    await asyncio.sleep(0)
    await asyncio.sleep(0)


async def test_the_next_batch_gets_its_own_wait_without_waiting_for_the_previous_one() -> None:
    writes, acks = FakeWrites(), Acknowledger(Acknowledgement(replicas=1))
    writes.release.clear()  # the first WAIT does not answer
    _, _, first = await acks.run(writes, ADD, KEYS, ())
    await turn()
    _, _, second = await acks.run(writes, ADD, KEYS, ())
    await turn()
    assert first is not None
    assert second is not None
    assert first is not second
    # Each WAIT was written behind the script it covers, the second before the first answered.
    assert [command[0] for command in writes.sent] == ["EVALSHA", "WAIT", "EVALSHA", "WAIT"]
    assert not first.done()
    assert not second.done()
    writes.release.set()
    assert await acks.confirmed(writes.generation, second)


async def test_a_caller_that_goes_away_does_not_cancel_the_shared_wait() -> None:
    writes, acks = FakeWrites(), Acknowledger(Acknowledgement(replicas=1))
    writes.release.clear()
    generation, _, shared = await acks.run(writes, ADD, KEYS, ())
    assert shared is not None
    leaving = asyncio.ensure_future(acks.confirmed(generation, shared))
    staying = asyncio.ensure_future(acks.confirmed(generation, shared))
    await turn()
    leaving.cancel()  # its client hung up
    writes.release.set()
    assert await staying
    assert not shared.cancelled()
