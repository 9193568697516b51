"""A lean Redis connection: one socket, commands written as they come, replies matched in order.

Why not redis-py's asyncio client: it checks a connection out of a pool for every command, so
32 concurrent requests need 32 sockets and 32 round-trips. Measured on this box (2 cores, under
load), the journal's page script ran at ~2,300-4,300 calls/s through redis-py and ~30,000 calls/s
through this connection, because Redis answers a whole batch of queued commands per read.
hiredis (shipped with `redis[hiredis]`) parses the replies.

A connection that cannot be opened backs off: for a while (100 ms, doubling to 2 s) calls fail at
once instead of each waiting for the connect timeout, so an unreachable replica costs one slow
read per window, not every read.

The socket's framing and its errors are in `resp`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from journal.resp import (
    Arg,
    ConnectionFailedError,
    RedisError,
    ReplyError,
    ReplyLostError,
    ReplyProtocol,
    TimedOutError,
    is_push,
    replies,
)

# Callers take the errors and `Arg` from here, with the connection they come from.
__all__ = [
    "Address",
    "Arg",
    "Connection",
    "ConnectionFailedError",
    "RedisError",
    "ReplyError",
    "ReplyLostError",
    "is_push",
]

BACKOFF_FIRST_S = 0.1
BACKOFF_MAX_S = 2.0


@dataclass(frozen=True)
class Address:
    """Where one Redis server is and how to log in; the password stays out of repr.

    `tls` set means the connection is encrypted and the server's certificate verified with it.
    """

    host: str
    port: int
    db: int
    timeout_s: float
    password: str | None = field(default=None, repr=False)
    username: str | None = None
    tls: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"

    def moved(self, host: str, port: int) -> Address:
        """The same login and TLS at another server (the primary Sentinel names)."""
        return Address(host, port, self.db, self.timeout_s, self.password, self.username, self.tls)


class Connection:
    """One multiplexed connection, (re)opened on demand; calls time out after `timeout_s`.

    `generation` counts the sockets opened: two replies with the same generation came over one
    socket, in order (what `WAIT` relies on: it covers the writes sent before it on its socket).
    `on_lost` is called once for each socket that fails or closes. `setup` commands are sent on
    every new socket after the login, before any call (e.g. `HELLO 3` and `CLIENT TRACKING`).
    """

    def __init__(
        self,
        address: Address,
        *,
        on_push: Callable[[Any], bool] | None = None,
        on_lost: Callable[[], None] | None = None,
        setup: Sequence[Sequence[Arg]] = (),
    ) -> None:
        self.address = address
        self.generation = 0
        self._on_push = on_push
        self._on_lost = on_lost
        self._setup = tuple(tuple(command) for command in setup)
        self._protocol: ReplyProtocol | None = None
        self._opening: asyncio.Future[ReplyProtocol] | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._failures = 0
        self._retry_at = 0.0

    async def call(self, *args: Arg) -> Any:
        (reply,) = await self.call_many([args])
        return reply

    async def call_many(self, commands: Sequence[Sequence[Arg]]) -> list[Any]:
        return (await self.call_counted(commands))[1]

    async def call_counted(self, commands: Sequence[Sequence[Arg]]) -> tuple[int, list[Any]]:
        """Send commands in one write; return the socket's generation and the replies.

        Raises the first error reply; ReplyLostError if the socket failed after the write.
        """
        generation, pending = await self.send(commands)
        return generation, await pending

    async def send(self, commands: Sequence[Sequence[Arg]]) -> tuple[int, Awaitable[list[Any]]]:
        """Write commands now (opening the socket if needed); await the second value for the replies."""
        protocol = self._protocol
        if protocol is None or protocol.closed:
            protocol = await self._open()
        futures = protocol.send(commands, protocol.loop.time())
        self._watch(protocol.loop)
        return self.generation, replies(futures)

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._watchdog is None:
            self._watchdog = loop.call_later(self.address.timeout_s, self._check_overdue)

    def send_last(
        self, command: Sequence[Arg], on_written: Callable[[], None]
    ) -> asyncio.Future[tuple[int, Any]]:
        """Write `command` behind every command sent on this socket in this loop turn, in the same
        socket write; its socket's generation and reply. `on_written` runs just before it is written.

        Fails with ConnectionFailedError when no socket is open (it would not be behind anything).
        """
        result: asyncio.Future[tuple[int, Any]] = asyncio.get_running_loop().create_future()
        protocol = self._protocol
        if protocol is None or protocol.closed:
            result.set_exception(ConnectionFailedError(f"redis at {self.address}: no open connection"))
            return result
        generation = self.generation

        def settle(reply: asyncio.Future[Any]) -> None:
            if result.done():
                return
            if reply.cancelled():
                result.cancel()
                return
            error = reply.exception()
            if isinstance(error, ConnectionFailedError):
                result.set_exception(ReplyLostError(str(error), timed_out=isinstance(error, TimedOutError)))
            elif error is not None:
                result.set_exception(error)
            elif isinstance(value := reply.result(), ReplyError):
                result.set_exception(value)
            else:
                result.set_result((generation, value))

        def write() -> None:
            on_written()
            try:
                (reply,) = protocol.send([command], protocol.loop.time())
            except RedisError as err:  # the socket failed in between
                result.set_exception(err)
                return
            self._watch(protocol.loop)
            reply.add_done_callback(settle)

        protocol.at_write_out(write)
        return result

    def is_open(self) -> bool:
        """Whether a socket is open and through its handshake (and `setup`) right now."""
        return self._protocol is not None and not self._protocol.closed

    async def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        # A connect still in flight would otherwise finish after this and leave its socket open.
        opening, self._opening = self._opening, None
        if opening is not None and not opening.done():
            opening.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionFailedError):
                await opening
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None

    async def _open(self) -> ReplyProtocol:
        loop = asyncio.get_running_loop()
        if loop.time() < self._retry_at:
            raise ConnectionFailedError(f"cannot connect to redis at {self.address}: backing off")
        # Concurrent callers share one attempt instead of each opening a socket.
        if self._opening is None or self._opening.done():
            self._opening = asyncio.ensure_future(self._connect())
        opening = self._opening
        try:
            self._protocol = await asyncio.shield(opening)
        except asyncio.CancelledError:
            # `close` cancelled the connect (a failover moved the address): the caller was not
            # cancelled, and nothing was sent, so it gets a plain connection error.
            current = asyncio.current_task()
            if opening.cancelled() and current is not None and not current.cancelling():
                raise ConnectionFailedError(f"redis at {self.address}: closed while connecting") from None
            raise
        except ConnectionFailedError:
            if self._opening is opening:
                self._back_off(loop.time())
            raise
        finally:
            if self._opening is opening and opening.done():
                self._opening = None
        self._failures = 0
        return self._protocol

    def _back_off(self, now: float) -> None:
        self._failures += 1
        self._retry_at = now + min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (self._failures - 1))

    async def _connect(self) -> ReplyProtocol:
        loop = asyncio.get_running_loop()
        address = self.address
        protocol: ReplyProtocol | None = None
        try:
            async with asyncio.timeout(address.timeout_s):
                transport, protocol = await loop.create_connection(
                    lambda: ReplyProtocol(address, self._on_push, self._on_lost),
                    address.host,
                    address.port,
                    ssl=address.tls,
                    server_hostname=address.host if address.tls else None,
                )
                protocol.transport = transport  # uvloop calls connection_made later
                await self._handshake(protocol)
        except (OSError, TimeoutError) as err:
            if protocol is not None:  # a handshake that timed out must not leave its socket open
                protocol.fail(ConnectionFailedError(f"redis at {address} did not finish the handshake"))
            reason = "TLS verification failed" if isinstance(err, ssl.SSLError) else type(err).__name__
            raise ConnectionFailedError(f"cannot connect to redis at {address}: {reason}") from None
        except asyncio.CancelledError:  # closed while connecting: the socket goes too
            if protocol is not None:
                protocol.fail(ConnectionFailedError(f"redis at {address}: connection closed"))
            raise
        self.generation += 1
        return protocol

    async def _handshake(self, protocol: ReplyProtocol) -> None:
        commands: list[tuple[Arg, ...]] = []
        address = self.address
        if address.password is not None:
            login = (address.username,) if address.username else ()
            commands.append(("AUTH", *login, address.password))
        if address.db:
            commands.append(("SELECT", address.db))
        commands += self._setup
        if not commands:
            return
        # Every reply is collected, so a failure leaves no future with an unretrieved exception.
        futures = protocol.send(commands, asyncio.get_running_loop().time())
        for reply in await asyncio.gather(*futures, return_exceptions=True):
            if isinstance(reply, ConnectionFailedError):
                raise reply
            if isinstance(reply, ReplyError):
                # Redis's AUTH errors (WRONGPASS, NOAUTH) never echo the password.
                error = ConnectionFailedError(f"redis at {address} refused the handshake: {reply}")
                protocol.fail(error)
                raise error

    def _check_overdue(self) -> None:
        """Fail every waiting call once the oldest has waited longer than the timeout."""
        self._watchdog = None
        protocol = self._protocol
        if protocol is None or not protocol.waiting:
            return
        loop = asyncio.get_running_loop()
        oldest_s = protocol.waiting[0][1]
        overdue_at = oldest_s + self.address.timeout_s
        if loop.time() >= overdue_at:
            protocol.fail(TimedOutError(f"redis at {self.address} did not answer in time"))
        else:
            self._watchdog = loop.call_later(overdue_at - loop.time(), self._check_overdue)
