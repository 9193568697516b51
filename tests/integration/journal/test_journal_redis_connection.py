"""The multiplexed Redis connection against a real server: order, timeouts, reconnects, auth."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import anyio
import pytest

from journal.pipelining import Address, Connection, ConnectionFailedError, ReplyError
from kbp.ports import free_ports
from support.redis import RedisPair

pytestmark = pytest.mark.anyio


def address(
    pair: RedisPair, *, password: str | None = None, timeout_s: float = 2.0, port: int = 0
) -> Address:
    return Address(
        "127.0.0.1", port or pair.primary.port, 0, timeout_s, pair.password if password is None else password
    )


async def test_concurrent_calls_get_their_own_replies(empty_redis: RedisPair) -> None:
    connection = Connection(address(empty_redis))
    replies: dict[int, int] = {}

    async def incr(n: int) -> None:
        replies[n] = await connection.call("INCR", "counter")

    async with anyio.create_task_group() as group:
        for n in range(500):
            group.start_soon(incr, n)
    await connection.close()

    assert sorted(replies.values()) == list(range(1, 501))


async def test_error_replies_raise_and_leave_the_connection_usable(empty_redis: RedisPair) -> None:
    connection = Connection(address(empty_redis))

    with pytest.raises(ReplyError, match="unknown command"):
        await connection.call("NOSUCHCOMMAND")
    assert await connection.call("PING") == b"PONG"
    await connection.close()


async def test_a_silent_server_times_out_then_the_connection_recovers(empty_redis: RedisPair) -> None:
    connection = Connection(address(empty_redis, timeout_s=0.3))
    await connection.call("PING")
    empty_redis.primary.client().client_pause(1500)  # ALL mode: nothing is answered

    with pytest.raises(ConnectionFailedError, match="did not answer in time"):
        await connection.call("GET", "k")

    empty_redis.primary.client().client_unpause()
    assert await connection.call("PING") == b"PONG"
    await connection.close()


async def test_nothing_listening_is_a_connection_error(empty_redis: RedisPair) -> None:
    connection = Connection(address(empty_redis, port=free_ports(1)[0]))

    with pytest.raises(ConnectionFailedError, match="cannot connect"):
        await connection.call("PING")


async def test_a_wrong_password_fails_without_echoing_it(empty_redis: RedisPair) -> None:
    connection = Connection(address(empty_redis, password="wrong-pw-123"))

    with pytest.raises(ConnectionFailedError) as raised:
        await connection.call("PING")

    assert "refused the handshake: WRONGPASS" in str(raised.value)
    assert "wrong-pw-123" not in str(raised.value)


async def test_a_restarted_server_is_reconnected(fresh_redis_pair: RedisPair) -> None:
    connection = Connection(address(fresh_redis_pair))
    await connection.call("SET", "k", "v")
    fresh_redis_pair.primary.client().shutdown(nosave=False)
    fresh_redis_pair.primary.process.wait(timeout=10)

    with pytest.raises(ConnectionFailedError):
        await connection.call("GET", "k")
    fresh_redis_pair.restart_primary()
    assert await connection.call("GET", "k") == b"v"
    await connection.close()


class FakeServer:
    """A TCP server that plays a broken Redis: it answers the first command with `reply` (or nothing)."""

    def __init__(self, reply: bytes | None) -> None:
        self.reply = reply
        self.accepted = 0
        self.closed_by_client = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> FakeServer:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def port(self) -> int:
        assert self.server is not None
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        replied = False
        while await reader.read(1024):  # until the client closes its end
            if self.reply is not None and not replied:
                writer.write(self.reply)
                replied = True
        self.closed_by_client += 1
        writer.close()


async def wait_until(condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
    return condition()


async def test_a_handshake_that_times_out_closes_its_socket() -> None:
    async with FakeServer(reply=None) as server:  # accepts, never answers AUTH
        connection = Connection(Address("127.0.0.1", server.port, 0, 0.2, password="pw"))

        with pytest.raises(ConnectionFailedError, match="cannot connect"):
            await connection.call("PING")

        assert await wait_until(lambda: server.closed_by_client == 1)


async def test_a_call_waiting_on_a_connect_that_close_cancels_fails_plainly() -> None:
    # A failover moves the primary and closes the old connection while writes wait on its connect:
    # they must get a connection error (a 503), not the connect's CancelledError (a 500).
    async with FakeServer(reply=None) as server:  # accepts, never answers AUTH
        connection = Connection(Address("127.0.0.1", server.port, 0, 5.0, password="pw"))
        waiting = asyncio.ensure_future(connection.call("PING"))
        assert await wait_until(lambda: server.accepted == 1)

        await connection.close()

        with pytest.raises(ConnectionFailedError, match="closed while connecting"):
            await waiting


async def test_an_unreachable_server_is_not_retried_on_every_call() -> None:
    async with FakeServer(reply=None) as server:
        connection = Connection(Address("127.0.0.1", server.port, 0, 0.2, password="pw"))
        with pytest.raises(ConnectionFailedError, match="cannot connect"):
            await connection.call("PING")

        # Within the back-off window the next calls fail at once, without a new socket or a wait.
        for _ in range(3):
            with pytest.raises(ConnectionFailedError, match="backing off"):
                await connection.call("PING")
        assert server.accepted == 1


async def test_a_reply_that_is_not_resp_fails_the_call_plainly(caplog: pytest.LogCaptureFixture) -> None:
    async with FakeServer(reply=b"HTTP/1.1 400 Bad Request\r\n\r\n") as server:
        connection = Connection(Address("127.0.0.1", server.port, 0, 1.0))
        with pytest.raises(ConnectionFailedError, match="sent a malformed reply"):
            await connection.call("PING")
        assert await wait_until(lambda: server.closed_by_client == 1)

    assert not [record for record in caplog.records if record.name == "asyncio"]


async def test_a_stray_reply_closes_the_connection_instead_of_crashing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with FakeServer(reply=b"+OK\r\n+STRAY\r\n") as server:
        connection = Connection(Address("127.0.0.1", server.port, 0, 1.0))
        assert await connection.call("PING") == b"OK"
        # Nobody asked for STRAY: a later caller must never receive it as its own reply.
        assert await wait_until(lambda: server.closed_by_client == 1)
        assert await connection.call("PING") == b"OK"  # on a new socket
        await connection.close()

    assert not [record for record in caplog.records if record.name == "asyncio"]


async def test_an_acl_user_logs_in_as_itself(fresh_redis_pair: RedisPair) -> None:
    fresh_redis_pair.primary.client().acl_setuser(
        "journal", enabled=True, passwords=["+journal-pw-7"], keys=["journal:*"], commands=["+@all"]
    )
    connection = Connection(
        Address("127.0.0.1", fresh_redis_pair.primary.port, 0, 2.0, "journal-pw-7", "journal")
    )

    assert await connection.call("ACL", "WHOAMI") == b"journal"
    with pytest.raises(ReplyError, match="NOPERM"):  # the user's own rights apply, not default's
        await connection.call("SET", "other:key", "x")
    await connection.close()
