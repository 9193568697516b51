"""ASGI shortcuts for the hot routes: `GET /api` (no query or a plain `page=N`) and `POST /api`.

They skip Starlette's request, routing and exception layers (measured in docs/journal.md) and answer
exactly as `JournalApi.entries` and `JournalApi.add` would. Anything else, including every request
that would be an error (a bad page or `Journal-Version`, a body that is not a valid entry, a bad
`Idempotency-Key`), goes on to the Starlette app, so errors are produced in one place; a POST's body,
already read, is handed on as it came (`_replaying`).
"""

from __future__ import annotations

import re

import orjson
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from journal import models
from journal.api import JSON, MAX_PAGE, JournalApi
from journal.storeerrors import StoreUnavailableError

_PLAIN_PAGE_QUERY = re.compile(rb"(?:page=([1-9][0-9]{0,9}))?")
_VERSION_BYTES = re.compile(rb"[0-9]{1,18}")
_LENGTH = re.compile(rb"[0-9]{1,7}")
_IDEMPOTENCY_KEY = re.compile(rb"[!-~]{1,255}")  # as api.parse_idempotency_key
_JSON_TYPE = JSON.encode()
_JSON_HEADERS = [(b"content-type", _JSON_TYPE)]


def version_in(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The `Journal-Version` request header: 0 when absent, None when malformed (a 400 elsewhere)."""
    for name, value in headers:
        if name == b"journal-version":
            return int(value) if _VERSION_BYTES.fullmatch(value) else None
    return 0


class FastPath:
    def __init__(self, app: ASGIApp, *, api: JournalApi, route: Route) -> None:
        self.app = app
        self.api = api
        self.route = route  # `/api`: for the access log's route template

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/api":
            if scope["method"] == "GET":
                match = _PLAIN_PAGE_QUERY.fullmatch(scope["query_string"])
                at_least = version_in(scope["headers"])
                if match is not None and int(match.group(1) or 1) <= MAX_PAGE and at_least is not None:
                    scope["route"] = self.route
                    await self._list(int(match.group(1) or 1), at_least, send)
                    return
            elif scope["method"] == "POST":
                handing_on = await self._add(scope, receive, send)
                if handing_on is not None:
                    await self.app(scope, handing_on, send)
                return
        await self.app(scope, receive, send)

    async def _list(self, number: int, at_least: int, send: Send) -> None:
        try:
            page = await self.api.store.page(number=number, size=self.api.page_size, at_least=at_least)
        except StoreUnavailableError as err:
            await _error(send, 503, str(err), [(b"retry-after", b"1")])
            return
        body = page.value.body
        await _answer(send, 200, body, [(b"journal-version", b"%d" % page.version)])

    async def _add(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Answer a valid add and return None; otherwise the `receive` to hand on with the request."""
        plain, key = self._plain_add(scope["headers"])
        if not plain:
            return receive
        messages = await _body(receive)
        try:
            body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
            if messages[-1]["type"] != "http.request":
                raise ValueError("the client went away")
            new = models.NewEntry.model_validate(orjson.loads(body))
        except (ValueError, ValidationError):  # orjson.JSONDecodeError is a ValueError
            return _replaying(messages, receive)
        scope["route"] = self.route
        try:
            added = await self.api.create(new, key)
        except HTTPException as err:  # the idempotency key's conflict
            await _error(send, err.status_code, str(err.detail), [])
        except StoreUnavailableError as err:
            await _error(send, 503, str(err), [(b"retry-after", b"1")])
        else:
            headers = [(b"location", b"/api/%d" % added.id), (b"journal-version", b"%d" % added.version)]
            if added.replayed:
                headers.append((b"idempotent-replayed", b"true"))
            await _answer(send, 201, added.entry, headers)
        return None

    def _plain_add(self, headers: list[tuple[bytes, bytes]]) -> tuple[bool, str | None]:
        """Whether the headers are for the fast path, and the idempotency key (None: none sent).
        Not: another content type, no or too large a `Content-Length`, or a malformed key."""
        content_type = length = key = None
        for name, value in headers:
            if name == b"content-type":
                content_type = value
            elif name == b"content-length":
                length = value
            elif name == b"idempotency-key":
                key = value
        if content_type != _JSON_TYPE or length is None or not _LENGTH.fullmatch(length):
            return False, None
        if int(length) > self.api.max_body_bytes:
            return False, None
        if key is None:
            return True, None
        return (True, key.decode()) if _IDEMPOTENCY_KEY.fullmatch(key) else (False, None)


async def _body(receive: Receive) -> list[Message]:
    """The request's messages up to its last body chunk (bounded: `Content-Length` was checked)."""
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """`receive` that first hands out the messages already read."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _answer(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
    headers = [*_JSON_HEADERS, (b"content-length", b"%d" % len(body)), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _error(send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]]) -> None:
    await _answer(send, status, orjson.dumps({"detail": detail}), extra)
