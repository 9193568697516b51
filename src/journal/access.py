"""Per-request bookkeeping as plain ASGI middleware: request id, one log line, metrics.

Plain ASGI rather than Starlette's BaseHTTPMiddleware, which adds a task and a stream per request.
"""

from __future__ import annotations

import itertools
import os
import re
import time
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.typing import FilteringBoundLogger

from journal.logs import RequestLine
from journal.metrics import Metrics

REQUEST_ID_HEADER = b"x-request-id"
# A request id from the proxy (NGINX's $request_id) is reused only if it is short and plain.
_SAFE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
UNMATCHED_ROUTE = "unmatched"


class RequestIds:
    """Fresh request ids: 32 hex digits like a uuid4's, unique without a system call per request.

    A random half, drawn once per process (again in a forked child), and a counter: `os.urandom`
    per request was a `getrandom` call each (strace). An id names a request in the logs; it is not
    a secret, so a counter is as good as random bits.
    """

    def __init__(self) -> None:
        self._reseed()
        os.register_at_fork(after_in_child=self._reseed)

    def _reseed(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._next = itertools.count(int.from_bytes(os.urandom(4), "big")).__next__

    def __call__(self) -> str:
        return f"{self._prefix}{self._next() & 0xFFFF_FFFF_FFFF_FFFF:016x}"


fresh_request_id = RequestIds()


def request_id_from(headers: list[tuple[bytes, bytes]]) -> bytes:
    """The caller's X-Request-ID if it is safe to log, else a fresh one."""
    for name, value in headers:
        if name == REQUEST_ID_HEADER and _SAFE_REQUEST_ID.fullmatch(value):
            return value
    return fresh_request_id().encode()


def route_template(scope: Scope) -> str:
    """The matched route's template (`/api/{id}`), so metrics stay low-cardinality."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class AccessMiddleware:
    def __init__(
        self, app: ASGIApp, *, metrics: Metrics, log: FilteringBoundLogger, line: RequestLine
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.log = log
        self.line = line

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(scope["headers"])
        request_id_text = request_id.decode()
        status = 500  # if the app dies before answering, the server sends a 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, request_id)]
            await send(message)

        # For the other lines logged while the request runs (a redis_error carries its id).
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id_text)
        self.log.debug("request_started", method=scope["method"], path=scope["path"][:256])
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration_s = time.perf_counter() - started
            route = route_template(scope)
            self.metrics.observe_request(
                method=scope["method"], route=route, status=status, duration_s=duration_s
            )
            self.line(
                request_id=request_id_text,
                method=scope["method"],
                route=route,
                status=status,
                duration_ms=round(duration_s * 1000, 3),
            )
            structlog.contextvars.reset_contextvars(**tokens)  # cheaper than clear: no context copy
