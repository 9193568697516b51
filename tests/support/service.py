"""A stand-in for a Kubernetes Service in front of several pods: each new TCP connection goes to
the next backend in turn (kube-proxy picks one per connection), bytes are copied both ways.

It runs in the test's own event loop, on a free loopback port; `close()` drops every connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

CHUNK = 65_536


class RoundRobinService:
    def __init__(self, ports: Sequence[int]) -> None:
        self.ports = tuple(ports)
        self.picked: list[int] = []  # the backend port of each connection, in order
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> RoundRobinService:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = self.ports[len(self.picked) % len(self.ports)]
        self.picked.append(port)
        self._writers.add(writer)
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            writer.close()
            self._writers.discard(writer)
            return
        self._writers.add(upstream_writer)
        await asyncio.gather(_copy(reader, upstream_writer), _copy(upstream_reader, writer))
        for end in (writer, upstream_writer):
            self._writers.discard(end)


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.CancelledError):
        while data := await source.read(CHUNK):
            sink.write(data)
            await sink.drain()
    sink.close()
