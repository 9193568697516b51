"""The multiplexed Redis connection against a real server: order, timeouts, reconnects, auth."""

from __future__ import annotations

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
