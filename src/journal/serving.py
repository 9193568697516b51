"""The HTTP server's life: listen, sweep expired connections, and stop gracefully on SIGTERM or SIGINT.

On a stop signal the listening socket closes at once (new connections are refused, so NGINX tries
the other upstream), idle keep-alive connections close, and the others answer what they have received
(the last answer with `Connection: close`) before closing. Once every connection is gone, or after
`shutdown_timeout_s` (those left are then cut), the app's shutdown runs and the process exits 0.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable
from email.utils import formatdate

from structlog.typing import FilteringBoundLogger

from journal.httpmessages import Handler, Response
from journal.httpproto import Connection

BACKLOG = 1024  # as Granian's default was


class HttpServer:
    def __init__(
        self,
        handler: Handler,
        *,
        refused: Callable[[int, str], Response],
        max_body_bytes: int,
        request_timeout_s: float,
        log: FilteringBoundLogger,
    ) -> None:
        self.handler = handler
        self.refused = refused  # the answer (and access line) for a request that could not be read
        self.max_body_bytes = max_body_bytes
        self.request_timeout_s = request_timeout_s
        self.log = log
        self.connections: set[Connection] = set()
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.TimerHandle | None = None
        self._emptied: asyncio.Event | None = None
        self._second = -1
        self._date = b""

    def date_line(self) -> bytes:
        """The `Date` header (formatted once per second) and the blank line that ends a head."""
        now = time.time()
        if int(now) != self._second:
            self._second = int(now)
            self._date = b"date: %s\r\n\r\n" % formatdate(now, usegmt=True).encode()
        return self._date

    def forget(self, connection: Connection) -> None:
        self.connections.discard(connection)
        if self._emptied is not None and not self.connections:
            self._emptied.set()

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: Connection(self), host, port, backlog=BACKLOG, reuse_address=True
        )
        self._sweeper = loop.call_later(1.0, self._sweep)

    def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        for connection in [c for c in self.connections if c.expired(now, self.request_timeout_s)]:
            connection.abort()
        self._sweeper = loop.call_later(1.0, self._sweep)

    async def stop(self, timeout_s: float) -> None:
        """Refuse new connections, let the open ones finish (at most `timeout_s`), then cut the rest."""
        if self._server is not None:
            self._server.close()
        self._emptied = asyncio.Event()
        for connection in list(self.connections):
            connection.shut_down()
        if self.connections:
            try:
                await asyncio.wait_for(self._emptied.wait(), timeout_s)
            except TimeoutError:
                self.log.warning("shutdown_timeout", connections=len(self.connections))
                for connection in list(self.connections):
                    connection.abort()
        if self._sweeper is not None:
            self._sweeper.cancel()


async def serve_until_stopped(
    server: HttpServer,
    *,
    host: str,
    port: int,
    startup: Callable[[], Awaitable[None]],
    shutdown: Callable[[], Awaitable[None]],
    shutdown_timeout_s: float,
) -> None:
    """Start the app, serve until SIGTERM or SIGINT, stop gracefully, then shut the app down."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await startup()
    try:
        await server.start(host, port)
        server.log.info("listening", address=f"http://{host}:{port}")
        await stopping.wait()
        server.log.info("shutting_down", connections=len(server.connections))
        await server.stop(shutdown_timeout_s)
    finally:
        await shutdown()
