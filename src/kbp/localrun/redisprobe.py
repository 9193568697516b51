"""A minimal RESP client for readiness checks and tests; kbp stays free of the service's Redis library."""

from __future__ import annotations

import socket
from types import TracebackType

Reply = str | int | None | list["Reply"]


class RedisReplyError(Exception):
    """Redis answered with an error reply."""


class RedisProbe:
    """One authenticated connection: `with RedisProbe(port, password) as r: r.call("PING")`."""

    def __init__(self, port: int, password: str, *, timeout_s: float = 1.0) -> None:
        self._sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
        self._buffer = self._sock.makefile("rb")
        self.call("AUTH", password)

    def __enter__(self) -> RedisProbe:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._buffer.close()
        self._sock.close()

    def call(self, *args: str) -> Reply:
        parts = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = arg.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self._sock.sendall(b"".join(parts))
        return self._read()

    def info(self, section: str) -> dict[str, str]:
        """INFO `section` as a dict of its `key:value` lines."""
        text = self.call("INFO", section)
        if not isinstance(text, str):
            raise RedisReplyError(f"INFO {section}: unexpected reply {text!r:.80}")
        pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))
        return {pair[0]: pair[1] for pair in pairs}

    def _read(self) -> Reply:
        line = self._buffer.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("redis closed the connection")
        kind, body = line[:1], line[1:-2].decode()
        if kind == b"+":
            return body
        if kind == b"-":
            raise RedisReplyError(body[:200])
        if kind == b":":
            return int(body)
        if kind == b"$":
            size = int(body)
            return None if size < 0 else self._buffer.read(size + 2)[:-2].decode()
        if kind == b"*":
            count = int(body)
            return None if count < 0 else [self._read() for _ in range(count)]
        raise RedisReplyError(f"unexpected RESP type {kind!r}")


def command_calls(probe: RedisProbe) -> dict[str, int]:
    """Calls per command from INFO commandstats, e.g. {"zrevrange": 12}."""
    calls: dict[str, int] = {}
    for key, value in probe.info("commandstats").items():
        fields = dict(item.split("=", 1) for item in value.split(","))
        calls[key.removeprefix("cmdstat_")] = int(fields["calls"])
    return calls
