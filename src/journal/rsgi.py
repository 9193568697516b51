"""The RSGI entry Granian serves: the hot routes answered here, everything else by the ASGI app.

Granian's RSGI hands Python the request as one object and takes the answer in one call, where ASGI
builds a scope dict and two message dicts per request and awaits a `send` for each (a constant-body
app spent ~29 µs of server CPU per request under ASGI and 17-22 µs under RSGI, docs/journal.md).
So `GET /api` and a plain `POST /api` (`fastpath`'s decisions and answers) are served straight from
RSGI, with the access line, metrics, request id and `Connection: close` while draining done here as
`AccessMiddleware` and `Draining` do them. Anything else, every error included, is adapted to ASGI
(`call_asgi`) and served by the whole ASGI stack, which logs and drains it itself; a POST whose body
was read here is handed on with it.

The app's lifespan (start-up and shutdown: the Redis connections, the Sentinel follower) runs in
`__rsgi_init__` and `__rsgi_del__`, which Granian's worker calls before serving and after its last
request, as it ran the ASGI lifespan.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Awaitable
from typing import Any, Protocol

import structlog
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message
from structlog.typing import FilteringBoundLogger

from journal.access import fresh_request_id
from journal.api import JSON, JournalApi
from journal.draining import DrainState
from journal.fastpath import Answer, add_entry, list_page, new_entry, plain_add, plain_page
from journal.logs import RequestLine
from journal.metrics import Metrics

_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # as access.request_id_from
ROUTE = "/api"


class Headers(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def items(self) -> list[tuple[str, str]]: ...


class Scope(Protocol):
    """What this module reads of Granian's RSGI scope (`granian.rsgi.Scope`)."""

    proto: str
    http_version: str
    method: str
    path: str
    query_string: str
    scheme: str
    client: str
    server: str

    @property
    def headers(self) -> Headers: ...


class HTTPProtocol(Protocol):
    """What this module uses of Granian's RSGI HTTP protocol (`granian.rsgi.HTTPProtocol`)."""

    def __call__(self) -> Awaitable[bytes]: ...
    def __aiter__(self) -> Any: ...
    def client_disconnect(self) -> Awaitable[None]: ...
    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None: ...
    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Any: ...


class RsgiEntry:
    def __init__(
        self,
        asgi: Starlette,
        *,
        api: JournalApi,
        metrics: Metrics,
        log: FilteringBoundLogger,
        line: RequestLine,
        draining: DrainState,
    ) -> None:
        self.asgi = asgi
        self.api = api
        self.metrics = metrics
        self.log = log
        self.line = line
        self.draining = draining
        self._lifespan: contextlib.AbstractAsyncContextManager[Any] | None = None

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self.startup())

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self.shutdown())

    async def startup(self) -> None:
        self._lifespan = self.asgi.router.lifespan_context(self.asgi)
        await self._lifespan.__aenter__()

    async def shutdown(self) -> None:
        if self._lifespan is not None:
            lifespan, self._lifespan = self._lifespan, None
            await lifespan.__aexit__(None, None, None)

    async def __call__(self, scope: Scope, proto: HTTPProtocol) -> None:  # the RSGI callable
        if scope.proto != "http":
            return  # websockets are off
        if scope.path == ROUTE:
            headers = scope.headers
            if scope.method == "GET":
                plain = plain_page(scope.query_string, headers.get("journal-version"))
                if plain is not None:
                    await self._serve(scope, headers, proto, list_page(self.api, *plain))
                    return
            elif scope.method == "POST":
                fast, key = plain_add(
                    self.api,
                    headers.get("content-type"),
                    headers.get("content-length"),
                    headers.get("idempotency-key"),
                )
                if fast:
                    body = await proto()
                    new = new_entry(body)
                    if new is not None:
                        await self._serve(scope, headers, proto, add_entry(self.api, new, key))
                    else:
                        await call_asgi(self.asgi, scope, proto, body=body)
                    return
        await call_asgi(self.asgi, scope, proto)

    async def _serve(
        self, scope: Scope, headers: Headers, proto: HTTPProtocol, answer: Awaitable[Answer]
    ) -> None:
        """Answer a fast request, with what `AccessMiddleware` and `Draining` add to every answer."""
        started = time.perf_counter()
        request_id = headers.get("x-request-id")
        if request_id is None or not _SAFE_REQUEST_ID.fullmatch(request_id):
            request_id = fresh_request_id()
        status = 500  # if the answer fails, Granian sends a 500
        # For the other lines logged while the request runs (a redis_error carries its id).
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        self.log.debug("request_started", method=scope.method, path=scope.path)
        try:
            status, body, extra = await answer
            response = [("content-type", JSON), *extra, ("x-request-id", request_id)]
            if self.draining.draining:
                response.append(("connection", "close"))
            proto.response_bytes(status, response, body)
        finally:
            duration_s = time.perf_counter() - started
            self.metrics.observe_request(
                method=scope.method, route=ROUTE, status=status, duration_s=duration_s
            )
            self.line(
                request_id=request_id,
                method=scope.method,
                route=ROUTE,
                status=status,
                duration_ms=round(duration_s * 1000, 3),
            )
            structlog.contextvars.reset_contextvars(**tokens)


async def call_asgi(app: ASGIApp, scope: Scope, proto: HTTPProtocol, *, body: bytes | None = None) -> None:
    """Serve one RSGI request with an ASGI app: `body` is the request's body if it was already read."""
    asgi_scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": scope.http_version,
        "method": scope.method,
        "scheme": scope.scheme,
        "path": scope.path,
        "raw_path": scope.path.encode(),
        "query_string": scope.query_string.encode("latin-1"),
        "root_path": "",
        "headers": [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in scope.headers.items()
        ],
        "client": _address(scope.client),
        "server": _address(scope.server),
    }
    chunks = aiter(proto) if body is None else None
    done = False

    async def receive() -> Message:
        nonlocal done
        if done:
            await proto.client_disconnect()
            return {"type": "http.disconnect"}
        if chunks is None:
            done = True
            return {"type": "http.request", "body": body, "more_body": False}
        try:
            return {"type": "http.request", "body": await anext(chunks), "more_body": True}
        except StopAsyncIteration:
            done = True
            return {"type": "http.request", "body": b"", "more_body": False}

    response = _Response(proto)
    await app(asgi_scope, receive, response.send)


class _Response:
    """ASGI's response messages as one RSGI answer: the whole body, or a stream when it comes in parts."""

    def __init__(self, proto: HTTPProtocol) -> None:
        self._proto = proto
        self._status = 500
        self._headers: list[tuple[str, str]] = []
        self._stream: Any = None

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._status = message["status"]
            self._headers = [
                (n.decode("latin-1"), v.decode("latin-1")) for n, v in message.get("headers", ())
            ]
        elif message["type"] == "http.response.body":
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if self._stream is None and not more:
                self._proto.response_bytes(self._status, self._headers, body)
                return
            if self._stream is None:
                self._stream = self._proto.response_stream(self._status, self._headers)
            if body:
                await self._stream.send_bytes(body)


def _address(text: str) -> tuple[str, int] | None:
    host, _, port = text.rpartition(":")
    return (host, int(port)) if host and port.isdigit() else None
