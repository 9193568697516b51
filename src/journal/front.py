"""The handler the HTTP server (`httpproto`, `serving`) calls: the hot routes answered here, the rest by ASGI.

`GET /api` and a plain `POST /api` (`fastpath`'s decisions and answers) are served straight from the
parsed request, with the access line, metrics, request id and `Connection: close` while draining done
here as `AccessMiddleware` and `Draining` do them. Anything else, every error included, is adapted to
ASGI (`call_asgi`) and served by the whole ASGI stack, which logs and drains it itself; the request's
body, already read by the server, is handed on with it.

The app's lifespan (start-up and shutdown: the Redis connections, the Sentinel follower) runs in
`startup` and `shutdown`, before the server listens and after its last connection closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Awaitable
from typing import Any

import orjson
import structlog
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message
from structlog.typing import FilteringBoundLogger

from journal.access import UNMATCHED_ROUTE, fresh_request_id
from journal.api import JSON, JournalApi
from journal.draining import DrainState
from journal.fastpath import Answer, add_entry, list_page, new_entry, plain_add, plain_page
from journal.httpmessages import Request, Response
from journal.logs import RequestLine
from journal.metrics import Metrics

_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")  # as access.request_id_from
ROUTE = "/api"


class FrontEntry:
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

    async def startup(self) -> None:
        self._lifespan = self.asgi.router.lifespan_context(self.asgi)
        await self._lifespan.__aenter__()

    async def shutdown(self) -> None:
        if self._lifespan is not None:
            lifespan, self._lifespan = self._lifespan, None
            await lifespan.__aexit__(None, None, None)

    async def __call__(self, request: Request) -> Response:  # httpproto.Handler
        if request.path == ROUTE:
            headers = request.headers
            if request.method == "GET":
                plain = plain_page(request.query, headers.get("journal-version"))
                if plain is not None:
                    return await self._serve(request, list_page(self.api, *plain))
            elif request.method == "POST":
                fast, key = plain_add(
                    self.api,
                    headers.get("content-type"),
                    headers.get("content-length"),
                    headers.get("idempotency-key"),
                )
                if fast:
                    new = new_entry(request.body)
                    if new is not None:
                        return await self._serve(request, add_entry(self.api, new, key))
        return await call_asgi(self.asgi, request)

    async def _serve(self, request: Request, answer: Awaitable[Answer]) -> Response:
        """Answer a fast request, with what `AccessMiddleware` and `Draining` add to every answer."""
        started = time.perf_counter()
        request_id = request.headers.get("x-request-id")
        if request_id is None or not _SAFE_REQUEST_ID.fullmatch(request_id):
            request_id = fresh_request_id()
        status = 500  # if the answer fails, the server sends a 500
        # For the other lines logged while the request runs (a redis_error carries its id).
        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        self.log.debug("request_started", method=request.method, path=request.path)
        try:
            status, body, extra = await answer
            response = [("content-type", JSON), *extra, ("x-request-id", request_id)]
            if self.draining.draining:
                response.append(("connection", "close"))
            return status, response, body
        finally:
            duration_s = time.perf_counter() - started
            self.metrics.observe_request(
                method=request.method, route=ROUTE, status=status, duration_s=duration_s
            )
            self.line(
                request_id=request_id,
                method=request.method,
                route=ROUTE,
                status=status,
                duration_ms=round(duration_s * 1000, 3),
            )
            structlog.contextvars.reset_contextvars(**tokens)

    def refused(self, status: int, detail: str) -> Response:
        """The answer to bytes that are not a readable request (`400`, `431`), logged and counted."""
        request_id = fresh_request_id()
        self.metrics.observe_request(method="unknown", route=UNMATCHED_ROUTE, status=status, duration_s=0.0)
        self.line(request_id=request_id, method="unknown", route=UNMATCHED_ROUTE, status=status,
                  duration_ms=0.0)  # fmt: skip
        body = orjson.dumps({"detail": detail})
        return status, [("content-type", JSON), ("x-request-id", request_id)], body


async def call_asgi(app: ASGIApp, request: Request) -> Response:
    """Serve one request with an ASGI app and return its answer (the app's body parts joined)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": request.http_version,
        "method": request.method,
        "scheme": "http",
        "path": request.path,
        "raw_path": request.raw_path,
        "query_string": request.query.encode("latin-1"),
        "root_path": "",
        "headers": request.raw_headers,
        "client": request.client,
        "server": request.server,
    }
    sent_body = False

    async def receive() -> Message:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": request.body, "more_body": False}
        await asyncio.Future()  # no disconnect is reported: the answer is dropped if the client left
        raise AssertionError("unreachable")

    status = 500
    headers: list[tuple[str, str]] = []
    parts: list[bytes] = []

    async def send(message: Message) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in message.get("headers", ())]
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(scope, receive, send)
    # The server writes its own Content-Length.
    return status, [(name, value) for name, value in headers if name != "content-length"], b"".join(parts)
