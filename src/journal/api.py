"""The `/api` routes: list, add, get and delete entries.

Bad input never reaches the store: it is answered with 400, 404, 405, 413 or 415 and a JSON
`detail` that names the field or parameter. A POST with an `Idempotency-Key` already used for the
same text replays the first entry (201, `Idempotent-Replayed: true`); for other text it is a 422.
Store outages surface as `StoreUnavailableError` (503, in app.py).

Read-your-writes across processes: writes answer `Journal-Version: N` (the journal's version after
them) and reads answer the version they saw. A client sends the highest one back on its reads; a
process whose replica is older than that serves the read from the primary.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import orjson
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journal import models
from journal.store import Store
from journal.storeerrors import IdempotencyConflictError
from journal.writing import Added, Idempotency

JSON = "application/json"
MAX_PAGE = 1_000_000_000
# Ids are positive integers; anything else cannot name an entry, so it is a 404, not a 400.
_ID = re.compile(r"[1-9][0-9]{0,17}")
_PAGE = re.compile(r"[1-9][0-9]{0,9}")
# Visible ASCII, as the IETF Idempotency-Key draft's examples (UUIDs, request ids) are.
_IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,255}")
_DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII only: str.isdigit() also accepts '²', which int() refuses
VERSION_HEADER = "journal-version"


def parse_page(raw: str | None) -> int:
    """The `page` query parameter: 1 when absent, else an integer from 1 to MAX_PAGE."""
    if raw is None:
        return 1
    if _PAGE.fullmatch(raw) and int(raw) <= MAX_PAGE:
        return int(raw)
    raise HTTPException(
        400, f"query parameter 'page' must be an integer from 1 to {MAX_PAGE} (got {raw[:32]!r})"
    )


def parse_id(raw: str) -> int | None:
    return int(raw) if _ID.fullmatch(raw) else None


def describe_invalid(err: ValidationError) -> str:
    """One message naming each bad field (`text: ...`), without echoing the input."""
    problems = []
    for problem in err.errors(include_url=False, include_input=False)[:3]:
        field = ".".join(str(part) for part in problem["loc"]) or "body"
        if problem["type"] == "string_pattern_mismatch":
            message = "must contain a visible character and no control characters"
        elif problem["type"] == "model_type":
            message = 'must be a JSON object like {"text": "..."}'
        else:
            message = problem["msg"][0].lower() + problem["msg"][1:]
        problems.append(f"{field}: {message}")
    return "; ".join(problems)


def parse_idempotency_key(raw: str | None) -> str | None:
    if raw is None or _IDEMPOTENCY_KEY.fullmatch(raw):
        return raw
    raise HTTPException(400, "header 'Idempotency-Key' must be 1 to 255 visible ASCII characters")


def parse_version(raw: str | None) -> int:
    """The `Journal-Version` a client sends back: 0 when absent."""
    if raw is None:
        return 0
    if _DIGITS.fullmatch(raw):
        return int(raw)
    raise HTTPException(400, "header 'Journal-Version' must be a non-negative integer (from a response)")


def require_json(content_type: str | None) -> None:
    """Only `application/json` bodies: a cross-site form or a no-cors fetch cannot send that type."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != JSON:
        raise HTTPException(415, "request body must be sent with 'Content-Type: application/json'")


def parse_new_entry(body: bytes) -> models.NewEntry:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise HTTPException(400, f"request body is not valid JSON: {err}") from None
    try:
        return models.NewEntry.model_validate(data)
    except ValidationError as err:
        raise HTTPException(400, describe_invalid(err)) from None


async def read_body(request: Request, limit_bytes: int) -> bytes:
    """The request body, refusing more than `limit_bytes` before reading it where possible."""
    too_large = HTTPException(413, f"request body is larger than {limit_bytes} bytes")
    declared = request.headers.get("content-length")
    if declared is not None and _DIGITS.fullmatch(declared) and int(declared) > limit_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def not_found(raw_id: str) -> HTTPException:
    return HTTPException(404, f"no entry with id {raw_id[:32]!r}")


class JournalApi:
    """Endpoints bound to one store, page size and clock."""

    def __init__(
        self,
        *,
        store: Store,
        page_size: int,
        max_body_bytes: int,
        clock: Callable[[], datetime],
        idempotency_ttl_s: int = 300,
    ) -> None:
        self.store = store
        self.page_size = page_size
        self.max_body_bytes = max_body_bytes
        self.clock = clock
        self.idempotency_ttl_s = idempotency_ttl_s

    def routes(self) -> list[Route]:
        return [self.list_route(), Route("/api/{id}", self.entry, methods=["GET", "DELETE"])]

    def list_route(self) -> Route:
        return Route("/api", self.entries, methods=["GET", "POST"])

    async def entries(self, request: Request) -> Response:
        if request.method == "POST":
            return await self.add(request)
        number = parse_page(request.query_params.get("page"))
        at_least = parse_version(request.headers.get(VERSION_HEADER))
        page = await self.store.page(number=number, size=self.page_size, at_least=at_least)
        return Response(page.value.body, media_type=JSON, headers=_version(page.version))

    async def add(self, request: Request) -> Response:
        require_json(request.headers.get("content-type"))
        key = parse_idempotency_key(request.headers.get("idempotency-key"))
        new = parse_new_entry(await read_body(request, self.max_body_bytes))
        added = await self.create(new, key)
        headers = {"Location": f"/api/{added.id}", **_version(added.version)}
        if added.replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(added.entry, status_code=201, media_type=JSON, headers=headers)

    async def create(self, new: models.NewEntry, key: str | None) -> Added:
        """Store a validated entry (or replay its key's); 422 when the key was used for other text."""
        text = new.text.strip()
        tail = models.encode_tail(text=text, created=self.clock())
        idempotency = None if key is None else Idempotency.of(key, text, self.idempotency_ttl_s)
        try:
            return await self.store.add(tail, idempotency)
        except IdempotencyConflictError:
            raise HTTPException(
                422, "header 'Idempotency-Key' was already used for an entry with other text"
            ) from None

    async def entry(self, request: Request) -> Response:
        raw_id: str = request.path_params["id"]
        entry_id = parse_id(raw_id)
        if entry_id is None:
            raise not_found(raw_id)
        if request.method == "DELETE":
            version = await self.store.delete(entry_id)
            if not version:
                raise not_found(raw_id)
            return Response(status_code=204, headers=_version(version))
        at_least = parse_version(request.headers.get(VERSION_HEADER))
        entry = await self.store.get(entry_id, at_least=at_least)
        if entry.value is None:
            raise not_found(raw_id)
        return Response(entry.value, media_type=JSON, headers=_version(entry.version))


def _version(version: int) -> dict[str, str]:
    return {"Journal-Version": str(version)}
