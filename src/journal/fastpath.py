"""Shortcuts for the hot routes: `GET /api` (no query or a plain `page=N`) and `POST /api`.

They skip Starlette's request, routing and exception layers (measured in docs/journal.md) and answer
exactly as `JournalApi.entries` and `JournalApi.add` would. Anything else, including every request
that would be an error (a bad page or `Journal-Version`, a body that is not a valid entry, a bad
`Idempotency-Key`), goes on to the Starlette app, so errors are produced in one place; a POST's body,
already read, is handed on as it came (`_replaying`). The decisions and answers (`plain_page`,
`plain_add`, `list_page`, `add_entry`) are shared by the ASGI layer here and the front entry (`front`).
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

_PLAIN_PAGE_QUERY = re.compile(r"(?:page=([1-9][0-9]{0,9}))?")
_VERSION = re.compile(r"[0-9]{1,18}")
_LENGTH = re.compile(r"[0-9]{1,7}")
_IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,255}")  # as api.parse_idempotency_key
_JSON_TYPE = JSON.encode()
_JSON_HEADERS = [(b"content-type", _JSON_TYPE)]
_RETRY = (("retry-after", "1"),)
Headers = tuple[tuple[str, str], ...]
Answer = tuple[int, bytes, Headers]  # status, JSON body, headers besides content type and length


def plain_page(query: str, version: str | None) -> tuple[int, int] | None:
    """The page number and `Journal-Version` floor of a fast `GET /api`, or None (Starlette answers:
    a bad query or version is a 400 there)."""
    match = _PLAIN_PAGE_QUERY.fullmatch(query)
    if match is None or (number := int(match.group(1) or 1)) > MAX_PAGE:
        return None
    if version is None:
        return number, 0
    return (number, int(version)) if _VERSION.fullmatch(version) else None


def plain_add(
    api: JournalApi, content_type: str | None, length: str | None, key: str | None
) -> tuple[bool, str | None]:
    """Whether a `POST /api` with these headers is for the fast path, and its idempotency key (None:
    none sent). Not: another content type, no or too large a `Content-Length`, or a malformed key."""
    if content_type != JSON or length is None or not _LENGTH.fullmatch(length):
        return False, None
    if int(length) > api.max_body_bytes:
        return False, None
    if key is None:
        return True, None
    return (True, key) if _IDEMPOTENCY_KEY.fullmatch(key) else (False, None)


def new_entry(body: bytes) -> models.NewEntry | None:
    """The body as a valid entry, or None (Starlette then answers the error)."""
    try:
        return models.NewEntry.model_validate(orjson.loads(body))
    except (ValueError, ValidationError):  # orjson.JSONDecodeError is a ValueError
        return None


async def list_page(api: JournalApi, number: int, at_least: int) -> Answer:
    try:
        page = await api.store.page(number=number, size=api.page_size, at_least=at_least)
    except StoreUnavailableError as err:
        return 503, _detail(str(err)), _RETRY
    return 200, page.value.body, (("journal-version", str(page.version)),)


async def add_entry(api: JournalApi, new: models.NewEntry, key: str | None) -> Answer:
    try:
        added = await api.create(new, key)
    except HTTPException as err:  # the idempotency key's conflict
        return err.status_code, _detail(str(err.detail)), ()
    except StoreUnavailableError as err:
        return 503, _detail(str(err)), _RETRY
    headers: Headers = (("location", f"/api/{added.id}"), ("journal-version", str(added.version)))
    if added.replayed:
        headers += (("idempotent-replayed", "true"),)
    return 201, added.entry, headers


def _detail(detail: str) -> bytes:
    return orjson.dumps({"detail": detail})


def _header(headers: list[tuple[bytes, bytes]], wanted: bytes) -> str | None:
    for name, value in headers:
        if name == wanted:
            return value.decode("latin-1")
    return None


class FastPath:
    """The shortcuts as an ASGI layer in front of the Starlette app."""

    def __init__(self, app: ASGIApp, *, api: JournalApi, route: Route) -> None:
        self.app = app
        self.api = api
        self.route = route  # `/api`: for the access log's route template

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/api":
            if scope["method"] == "GET":
                query = scope["query_string"].decode("latin-1")
                plain = plain_page(query, _header(scope["headers"], b"journal-version"))
                if plain is not None:
                    scope["route"] = self.route
                    await _answer(send, *await list_page(self.api, *plain))
                    return
            elif scope["method"] == "POST":
                handing_on = await self._add(scope, receive, send)
                if handing_on is not None:
                    await self.app(scope, handing_on, send)
                return
        await self.app(scope, receive, send)

    async def _add(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Answer a valid add and return None; otherwise the `receive` to hand on with the request."""
        headers = scope["headers"]
        plain, key = plain_add(
            self.api,
            _header(headers, b"content-type"),
            _header(headers, b"content-length"),
            _header(headers, b"idempotency-key"),
        )
        if not plain:
            return receive
        messages = await _body(receive)
        new = None
        if messages[-1]["type"] == "http.request":  # else the client went away
            new = new_entry(b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request"))
        if new is None:
            return _replaying(messages, receive)
        scope["route"] = self.route
        await _answer(send, *await add_entry(self.api, new, key))
        return None


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


async def _answer(send: Send, status: int, body: bytes, extra: Headers) -> None:
    headers = [*_JSON_HEADERS, (b"content-length", b"%d" % len(body))]
    headers += [(name.encode(), value.encode()) for name, value in extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
