"""Make the host's apiserver appear at the same address inside the node's network namespace.

`python -m kbp.cluster.node.relay NETNS_PATH PORT`: listens on 0.0.0.0:PORT inside the namespace
and forwards each connection to 127.0.0.1:PORT on the host. So kubelet and kube-proxy
use the admin's server URL unchanged, pods reach the `kubernetes` Service through it, and the
apiserver keeps listening on loopback only. A socket stays in the namespace it was made in, so
one process can listen in one and connect in the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import sys

CLONE_NEWNET = 0x40000000
CHUNK = 64 * 1024


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")


def listen_in(netns_path: str, port: int) -> socket.socket:
    """A listening socket made inside `netns_path`; the thread returns to its own namespace."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(netns_path, os.O_RDONLY)
    try:
        _setns(target)
        try:
            # Every address of the node's namespace, which has no route out.
            sock = socket.create_server(("0.0.0.0", port), backlog=128)  # noqa: S104
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)
    sock.setblocking(False)
    return sock


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(OSError):
        writer.close()


async def serve(sock: socket.socket, port: int) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    server = await asyncio.start_server(handle, sock=sock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main() -> None:
    netns_path, port = sys.argv[1], int(sys.argv[2])
    asyncio.run(serve(listen_in(netns_path, port), port))


if __name__ == "__main__":
    main()
