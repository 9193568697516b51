"""RESP over one socket: the commands of one loop turn go out in one write, in the order they were sent."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from typing import Any

import hiredis

from journal.pipelining import Address, Connection
from journal.resp import ConnectionFailedError, ReplyProtocol


@dataclass(frozen=True)
class Endpoint:
    tls: ssl.SSLContext | None = None

    def __str__(self) -> str:
        return "h:1"


@dataclass
class Transport:
    """Records what the protocol writes (the socket is not what is tested here)."""

    writes: list[bytes] = field(default_factory=list)
    aborted: bool = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def abort(self) -> None:
        self.aborted = True

    def close(self) -> None:
        self.aborted = True


def protocol_on(transport: Transport) -> ReplyProtocol:
    protocol = ReplyProtocol(Endpoint())
    protocol.connection_made(transport)  # type: ignore[arg-type]
    return protocol


def test_one_turns_commands_are_written_once_in_order_and_answered_in_order() -> None:
    transport = Transport()

    async def turn() -> tuple[list[bytes], list[Any]]:
        protocol = protocol_on(transport)
        first = protocol.send([("SET", "k", "v")], 0.0)
        second = protocol.send([("GET", "k"), ("WAIT", 1, 1000)], 0.0)
        written_during_the_turn = list(transport.writes)
        await asyncio.sleep(0)
        protocol.data_received(b"+OK\r\n$1\r\nv\r\n:1\r\n")
        return written_during_the_turn, [await f for f in [*first, *second]]

    during, replies = asyncio.run(turn())

    assert during == []
    packed = [hiredis.pack_command(c) for c in (("SET", "k", "v"), ("GET", "k"), ("WAIT", 1, 1000))]  # type: ignore[arg-type]
    assert transport.writes == [b"".join(packed)]
    assert replies == [b"OK", b"v", 1]


def test_commands_of_a_failed_socket_are_not_written_and_their_callers_get_the_error() -> None:
    transport = Transport()

    async def turn() -> BaseException | None:
        protocol = protocol_on(transport)
        (pending,) = protocol.send([("PING",)], 0.0)
        protocol.fail(ConnectionFailedError("connection to redis at h:1 lost"))
        await asyncio.sleep(0)
        return pending.exception()

    error = asyncio.run(turn())

    assert isinstance(error, ConnectionFailedError)
    assert transport.writes == []
    assert transport.aborted


def test_a_command_sent_last_goes_behind_the_turns_commands_in_the_same_write() -> None:
    transport = Transport()
    connection = Connection(Address("127.0.0.1", 1, 0, 1.0))

    async def turn() -> tuple[list[bytes], tuple[int, Any], list[str]]:
        protocol = protocol_on(transport)
        connection._protocol = protocol  # an open socket, as after a connect
        connection.generation = 3
        order: list[str] = []
        (script,) = protocol.send([("EVALSHA", "sha", 0)], 0.0)
        last = connection.send_last(("WAIT", 1, 1000), on_written=lambda: order.append("written"))
        (later,) = protocol.send([("INCR", "k")], 0.0)  # still this turn: the WAIT goes behind it
        await asyncio.sleep(0)
        written = list(transport.writes)
        protocol.data_received(b":7\r\n:8\r\n:1\r\n")
        await script, await later
        await connection.close()
        return written, await last, order

    written, (generation, replicas), order = asyncio.run(turn())

    packed = [hiredis.pack_command(c) for c in (("EVALSHA", "sha", 0), ("INCR", "k"), ("WAIT", 1, 1000))]  # type: ignore[arg-type]
    assert written == [b"".join(packed)]
    assert (generation, replicas, order) == (3, 1, ["written"])


def test_a_command_sent_last_without_an_open_socket_fails_at_once() -> None:
    async def attempt() -> BaseException | None:
        connection = Connection(Address("127.0.0.1", 1, 0, 1.0))
        return connection.send_last(("WAIT", 1, 1000), on_written=lambda: None).exception()

    assert isinstance(asyncio.run(attempt()), ConnectionFailedError)


def test_a_command_sent_last_on_a_socket_that_fails_first_gets_the_error() -> None:
    transport = Transport()
    connection = Connection(Address("127.0.0.1", 1, 0, 1.0))

    async def turn() -> BaseException | None:
        connection._protocol = protocol_on(transport)
        last = connection.send_last(("WAIT", 1, 1000), on_written=lambda: None)
        connection._protocol.fail(ConnectionFailedError("connection to redis at h:1 lost"))
        await asyncio.sleep(0)
        return last.exception() if last.done() else None

    assert isinstance(asyncio.run(turn()), ConnectionFailedError)
    assert transport.writes == []
