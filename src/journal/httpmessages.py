"""What the HTTP server (`httpproto`) hands its handler, and the bytes of an answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from http import HTTPStatus

Response = tuple[int, list[tuple[str, str]], bytes]  # status, headers (no length), body
REASONS = {status.value: status.phrase.encode() for status in HTTPStatus}
NO_BODY = frozenset({204, 304})


class Request:
    __slots__ = ("body", "client", "headers", "http_version", "keep_alive", "method", "path",
                 "query", "raw_headers", "raw_path", "refusal", "server")  # fmt: skip

    def __init__(self) -> None:
        self.method = ""
        self.path = "/"
        self.raw_path = b"/"
        self.query = ""
        self.raw_headers: list[tuple[bytes, bytes]] = []  # names lower-case
        self.headers: dict[str, str] = {}  # the first of each name
        self.body = b""
        self.http_version = "1.1"
        self.keep_alive = True
        self.client: tuple[str, int] | None = None
        self.server: tuple[str, int] | None = None
        self.refusal: Response | None = None  # answered by the server itself: it could not be read


Handler = Callable[[Request], Awaitable[Response]]


def encode(
    request: Request, status: int, headers: list[tuple[str, str]], body: bytes, *, close: bool, end: bytes
) -> bytes:
    """An answer's bytes: `Content-Length` added (none for 204 and 304), no body for HEAD, `end` the
    last header line and the blank line (the server's `Date`)."""
    head = [b"HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, b"Unknown"))]
    for name, value in headers:
        if name != "connection":
            head.append(f"{name}: {value}\r\n".encode("latin-1"))
    if close:
        head.append(b"connection: close\r\n")
    if status in NO_BODY:
        body = b""
    else:
        head.append(b"content-length: %d\r\n" % len(body))
    head.append(end)
    if request.method != "HEAD":
        head.append(body)
    return b"".join(head)
