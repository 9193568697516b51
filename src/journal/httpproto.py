"""HTTP/1.1 connections: an asyncio Protocol around httptools (llhttp, the parser uvicorn uses).

One request at a time per connection, in the order they came (keep-alive and pipelining: requests
that arrive while one is served wait in a short queue; past `PIPELINE_DEPTH` the socket is not read).
A request is handed to the handler whole: its body is read first, up to `max_body_bytes`; a larger
one (by `Content-Length`, or while a chunked body streams) is handed on at once with what came so
far, so the app answers its `413`, and the connection closes after the answer, the rest unread.
Headers over `MAX_HEAD_BYTES` get `431`, bytes that are not HTTP `400` with a JSON `detail`, both
then closed. A client that leaves a request unfinished for `request_timeout_s`, or a connection idle
for `KEEPALIVE_S`, is closed by `sweep`, as is one that does not read its answers for `WRITE_STALL_S`.
A client that goes away mid-request does not cancel it (a write may be stored already): its answer
is dropped. Why not Granian or uvicorn: measured in docs/journal.md (Performance).
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any, cast
from urllib.parse import unquote

import httptools

from journal.httpmessages import Request, encode

MAX_HEAD_BYTES = 16 * 1024  # request line and headers, as NGINX's large_client_header_buffers 4 x 8k
PIPELINE_DEPTH = 16
KEEPALIVE_S = 30.0  # above the NGINX upstream keepalive_timeout (4 s), so NGINX closes first
WRITE_STALL_S = 30.0


class _RefusedError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


class _TooLargeError(Exception):
    """Raised in a parser callback to stop reading: the request was handed on as it is."""


class Connection(asyncio.Protocol):
    def __init__(self, server: Any) -> None:  # a serving.HttpServer (it imports this module)
        self._server = server
        self._loop = asyncio.get_running_loop()
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._queue: collections.deque[Request] = collections.deque()
        self._busy = False  # a request is being served
        self._task: asyncio.Task[None] | None = None  # held: the loop keeps only weak references
        self._closing = False  # close after the answers already due
        self._write_paused_at: float | None = None
        self._request: Request | None = None  # the one being parsed
        self._head = 0
        self._chunks: list[bytes] = []
        self._size = 0
        self._url = b""
        self.since = self._loop.time()  # idle since, or the current request's start
        self._peer: tuple[str, int] | None = None
        self._local: tuple[str, int] | None = None

    # asyncio's callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._peer = _address(self._transport.get_extra_info("peername"))
        self._local = _address(self._transport.get_extra_info("sockname"))
        self._server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server.forget(self)
        self._transport = None
        self._queue.clear()

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return  # after a refusal or at shutdown: nothing more is read
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # the request is complete; no upgrades here
            self._stop_reading()
        except httptools.HttpParserCallbackError as err:
            cause = err.__context__
            if isinstance(cause, _RefusedError):
                self._refuse(cause.status, str(cause))
            elif not isinstance(cause, _TooLargeError):
                raise
        except httptools.HttpParserError as err:
            self._refuse(400, f"malformed HTTP request: {_reason(err)}")

    def pause_writing(self) -> None:
        self._write_paused_at = self._loop.time()

    def resume_writing(self) -> None:
        self._write_paused_at = None
        self._next()

    # httptools' callbacks

    def on_message_begin(self) -> None:
        self._request = Request()
        self._head, self._chunks, self._size, self._url = 0, [], 0, b""
        if not self._busy and not self._queue:
            self.since = self._loop.time()

    def on_url(self, url: bytes) -> None:
        self._url += url
        self._grow_head(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._grow_head(len(name) + len(value) + 4)
        assert self._request is not None
        self._request.raw_headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        request = self._request
        assert request is not None
        request.method = self._parser.get_method().decode("ascii")
        request.http_version = self._parser.get_http_version()
        request.keep_alive = self._parser.should_keep_alive()
        request.client, request.server = self._peer, self._local
        self._set_target(request)
        headers: dict[str, str] = {}
        for name, value in request.raw_headers:
            headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        request.headers = headers
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self._server.max_body_bytes:
            self._hand_on_too_large(request)  # the app refuses it by its declared length
        elif headers.get("expect", "").lower() == "100-continue" and not self._busy and not self._queue:
            self._write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        self._chunks.append(body)
        if self._size > self._server.max_body_bytes:
            assert self._request is not None
            self._request.body = b"".join(self._chunks)  # the app sees it is too large
            self._hand_on_too_large(self._request)

    def on_message_complete(self) -> None:
        request = self._request
        assert request is not None
        self._request = None
        request.body = b"".join(self._chunks) if len(self._chunks) != 1 else self._chunks[0]
        self._chunks = []
        self._enqueue(request)

    # serving

    def _grow_head(self, size: int) -> None:
        self._head += size
        if self._head > MAX_HEAD_BYTES:
            raise _RefusedError(431, f"request line and headers are larger than {MAX_HEAD_BYTES} bytes")

    def _set_target(self, request: Request) -> None:
        url = self._url
        if not url.startswith(b"/"):  # absolute form (or `*`)
            try:
                parsed = httptools.parse_url(url)
            except httptools.HttpParserInvalidURLError:
                raise _RefusedError(400, "malformed HTTP request: invalid request target") from None
            raw_path, query = parsed.path or b"/", parsed.query or b""
        else:
            raw_path, _, query = url.partition(b"?")
        request.raw_path = raw_path
        text = raw_path.decode("latin-1")
        request.path = unquote(text) if "%" in text else text
        request.query = query.decode("latin-1")

    def _hand_on_too_large(self, request: Request) -> None:
        self._request = None
        request.keep_alive = False
        self._enqueue(request)
        self._stop_reading()
        raise _TooLargeError

    def _enqueue(self, request: Request) -> None:
        self._queue.append(request)
        if len(self._queue) >= PIPELINE_DEPTH and self._transport is not None:
            self._transport.pause_reading()
        self._next()

    def _next(self) -> None:
        if self._busy or not self._queue or self._write_paused_at is not None:
            return
        self._busy = True
        self._task = self._loop.create_task(self._serve(self._queue.popleft()))

    async def _serve(self, request: Request) -> None:
        while True:
            if request.refusal is not None:
                status, headers, body = request.refusal
            else:
                try:
                    status, headers, body = await self._server.handler(request)
                except Exception:  # a bug: the handler logs its errors; this keeps the connection sane
                    self._server.log.exception("unhandled_error", path=request.path[:256])
                    status, headers, body = 500, [("content-type", "application/json")], _INTERNAL
            closed = self._answer(request, status, headers, body)
            if closed or self._transport is None or not self._queue or self._write_paused_at is not None:
                break
            if len(self._queue) == PIPELINE_DEPTH - 1:
                self._transport.resume_reading()
            request = self._queue.popleft()
        self._busy, self._task = False, None
        self.since = self._loop.time()
        self._next()  # resumed writing while this ran

    def _answer(self, request: Request, status: int, headers: list[tuple[str, str]], body: bytes) -> bool:
        """Write the answer; whether the connection is closing after it."""
        if self._transport is None:
            return True  # the client went away: the answer is dropped
        close = (self._closing and not self._queue) or not request.keep_alive
        close = close or ("connection", "close") in headers
        self._write(encode(request, status, headers, body, close=close, end=self._server.date_line()))
        if close:
            self.close()
        return close

    def _write(self, data: bytes) -> None:
        if self._transport is not None:
            self._transport.write(data)

    def _refuse(self, status: int, detail: str) -> None:
        """Answer a request that could not be read, after those before it, then close."""
        refusal = Request()
        refusal.keep_alive = False
        refusal.refusal = self._server.refused(status, detail)
        self._request = None
        self._queue.append(refusal)
        self._stop_reading()
        self._next()

    def _stop_reading(self) -> None:
        self._closing = True
        if self._transport is not None:
            self._transport.pause_reading()

    # for the server: shutdown and timeouts

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def shut_down(self) -> None:
        """Answer what was received (the last answer says `Connection: close`), read nothing more."""
        self._stop_reading()
        if not self._busy and not self._queue:
            self.close()

    def expired(self, now: float, request_timeout_s: float) -> bool:
        """Whether this connection was idle, left a request unfinished, or did not read, for too long."""
        if self._write_paused_at is not None:
            return now - self._write_paused_at > WRITE_STALL_S
        if self._busy or self._queue:
            return False
        limit = request_timeout_s if self._request is not None else KEEPALIVE_S
        return now - self.since > limit

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()


_INTERNAL = b'{"detail":"internal error"}'


def _reason(err: Exception) -> str:
    text = str(err).strip()
    return text[:120] if text else type(err).__name__


def _address(value: Any) -> tuple[str, int] | None:
    if isinstance(value, tuple) and len(value) >= 2:
        return str(value[0]), int(value[1])
    return None
