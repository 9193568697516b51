"""RESP over one socket: commands written in the order they come, replies handed to callers in order.

hiredis packs the commands and parses the replies. The commands sent during one event-loop turn go out
in one write at its end (`_write_out`): concurrent requests cost one system call instead of one each (a
socket write was ~10% of the worker's samples under the 80/20 mix, py-spy), and the bytes keep the
order of the calls, which `WAIT` (acknowledging.py) and the reply matching rely on.

Errors:

    RedisError
     ├── ConnectionFailedError  cannot connect, connection lost, or no reply within the timeout
     │    └── ReplyLostError    the command was sent, but its reply never came: its effect is unknown
     │                          (`timed_out`, or the server closed the socket)
     └── ReplyError             Redis answered with an error (NOSCRIPT, READONLY, LOADING, NOAUTH, ...)
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast

import hiredis

Arg = str | bytes | int | float
# hiredis' stub types the argument as a 1-tuple; it takes any tuple of arguments.
_pack = cast(Callable[[tuple[Arg, ...]], bytes], hiredis.pack_command)


class RedisError(Exception):
    """Base of this module's errors; messages carry host:port at most, never the password."""


class ConnectionFailedError(RedisError):
    pass


class ReplyLostError(ConnectionFailedError):
    def __init__(self, message: str, *, timed_out: bool) -> None:
        super().__init__(message)
        self.timed_out = timed_out  # else the server closed the socket (restart, CLIENT KILL)


class TimedOutError(ConnectionFailedError):
    pass


class ReplyError(RedisError):
    pass


class Endpoint(Protocol):
    """What the socket names in its errors (host:port) and whether it speaks TLS."""

    @property
    def tls(self) -> ssl.SSLContext | None: ...


def is_push(reply: Any) -> bool:
    """Whether a reply is a RESP3 push (an `invalidate` message), not the answer to a call."""
    return isinstance(reply, hiredis.PushNotification)


class ReplyProtocol(asyncio.Protocol):
    """Feeds replies to the futures waiting for them, oldest first; made on the loop it serves.

    `on_push` sees every reply first and takes the ones that are messages (a subscriber's); a
    reply nobody waits for is a protocol error, and the connection fails rather than hand a later
    caller someone else's reply.
    """

    def __init__(
        self,
        address: Endpoint,
        on_push: Callable[[Any], bool] | None = None,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.address = address
        self.on_push = on_push
        self.on_lost = on_lost
        self.reader = hiredis.Reader(replyError=ReplyError)
        self.waiting: collections.deque[tuple[asyncio.Future[Any], float]] = collections.deque()
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.answered = False  # any reply yet: a server that hangs up before one may speak TLS
        self.error: RedisError | None = None  # why it closed, first cause only
        self._outgoing: list[bytes] = []  # packed commands not yet written (this loop turn's)
        self._last: list[Callable[[], None]] = []  # run at the write-out, before the bytes go
        self.loop = asyncio.get_running_loop()  # looked up once: each lookup is a getpid() call

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while not self.closed:
            try:
                reply = self.reader.gets()
            except hiredis.ProtocolError:
                self.fail(ConnectionFailedError(f"redis at {self.address} sent a malformed reply"))
                return
            if reply is False:
                return
            self.answered = True
            if self.on_push is not None and self.on_push(reply):
                continue
            if self.waiting:
                future, _ = self.waiting.popleft()
                if not future.done():  # the caller may have been cancelled
                    future.set_result(reply)
            else:
                self.fail(ConnectionFailedError(f"redis at {self.address} sent a reply nobody asked for"))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.answered or self.address.tls is not None:
            self.fail(ConnectionFailedError(f"connection to redis at {self.address} lost"))
        else:
            self.fail(
                ConnectionFailedError(
                    f"redis at {self.address} closed the connection before answering"
                    " (a TLS port needs a rediss:// URL)"
                )
            )

    def fail(self, error: RedisError) -> None:
        if not self.closed and self.on_lost is not None:
            self.on_lost()
        self.closed = True
        error = self.error = self.error or error
        while self.waiting:
            future, _ = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)
        if self.transport is not None:
            self.transport.abort()

    def send(self, commands: Sequence[Sequence[Arg]], now: float) -> list[asyncio.Future[Any]]:
        if self.error is not None:  # failed between opening and this call
            raise self.error
        create = self.loop.create_future
        futures = [create() for _ in commands]
        self.waiting.extend((future, now) for future in futures)
        if not self._outgoing and not self._last:
            self.loop.call_soon(self._write_out)
        self._outgoing.extend(_pack(tuple(command)) for command in commands)
        return futures

    def at_write_out(self, last: Callable[[], None]) -> None:
        """Run `last` when this turn's commands are written, just before: what it sends goes behind
        every command sent in this turn (`Connection.send_last`)."""
        if not self._outgoing and not self._last:
            self.loop.call_soon(self._write_out)
        self._last.append(last)

    def _write_out(self) -> None:
        last, self._last = self._last, []
        for hook in last:
            hook()
        outgoing, self._outgoing = self._outgoing, []
        # Once failed, the waiting futures have their error and the transport is aborted.
        if outgoing and self.transport is not None and not self.closed:
            self.transport.write(b"".join(outgoing))


async def replies(futures: list[asyncio.Future[Any]]) -> list[Any]:
    try:
        replies = [await future for future in futures]
    except ConnectionFailedError as err:
        raise ReplyLostError(str(err), timed_out=isinstance(err, TimedOutError)) from None
    for reply in replies:
        if isinstance(reply, ReplyError):
            raise reply
    return replies
