"""The journal's data: pydantic models at the HTTP boundary, frozen dataclasses inside.

An entry is stored in Redis already encoded as the JSON object the API returns, so a page is
served by joining stored bytes: no per-entry decode and re-encode on the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Annotated

import orjson
from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT_CHARS = 1000
# C0 controls (except tab, LF, CR), DEL and lone surrogates are refused; the text must hold at least
# one non-space character. One Python regex, shared by the validator and the OpenAPI schema.
# The leading run admits only allowed *spaces*, so it cannot also take the first visible character:
# each input has one way to match, and a long blank text fails in linear time, not quadratic.
_REFUSED = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff"
_ALLOWED = rf"[^{_REFUSED}]"
_SPACE = rf"[^\S{_REFUSED}]"
_VISIBLE = rf"[^\s{_REFUSED}]"
TEXT_PATTERN = rf"^{_SPACE}*{_VISIBLE}{_ALLOWED}*$"


class NewEntry(BaseModel):
    """The body of `POST /api`."""

    model_config = ConfigDict(extra="forbid", strict=True, regex_engine="python-re", frozen=True)

    text: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_TEXT_CHARS,
            pattern=TEXT_PATTERN,
            description="The entry; stored with surrounding whitespace removed. No control characters.",
            examples=["Deployed v1.0.1 to staging"],
        ),
    ]


class EntryOut(BaseModel):
    """An entry as the API returns it (documentation only; responses are built from stored bytes)."""

    model_config = ConfigDict(extra="forbid")

    id: int = Field(ge=1, description="Assigned by the server, increasing.")
    text: str
    created: str = Field(description="UTC time of creation, RFC 3339 with milliseconds.")


class PageOut(BaseModel):
    """One page of entries, newest first (documentation only)."""

    model_config = ConfigDict(extra="forbid")

    items: list[EntryOut]
    page: int = Field(ge=1)
    page_size: int = Field(ge=1, le=100)
    total: int = Field(ge=0, description="Entries in the journal when the page was read.")
    next: str | None = Field(description="URL of the next page, or null on the last page.")


class Problem(BaseModel):
    """Every error response."""

    model_config = ConfigDict(extra="forbid")

    detail: str = Field(description="What was wrong, naming the field or parameter.")


@dataclass(frozen=True)
class Entry:
    id: int
    text: str
    created: datetime


@dataclass(frozen=True)
class Page:
    """A page as read from the store: entries still in their stored JSON encoding."""

    items: tuple[bytes, ...]
    number: int
    size: int
    total: int

    @cached_property
    def body(self) -> bytes:
        """The `GET /api` body, rendered once: a page kept in memory is served many times."""
        return render_page(self)


def format_created(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def encode_tail(*, text: str, created: datetime) -> bytes:
    """An entry's JSON after its id (`,"text":…}`): the store assigns the id atomically."""
    return b"," + orjson.dumps({"text": text, "created": format_created(created)})[1:]


def encode_entry(entry: Entry) -> bytes:
    """The JSON object the API returns; the store builds the same bytes from `encode_tail`."""
    return b'{"id":%d' % entry.id + encode_tail(text=entry.text, created=entry.created)


def next_page_url(page: Page) -> str | None:
    return f"/api?page={page.number + 1}" if page.number * page.size < page.total else None


def render_page(page: Page) -> bytes:
    """The `GET /api` body: stored entries joined as they are, plus the paging fields."""
    paging = {"page": page.number, "page_size": page.size, "total": page.total, "next": next_page_url(page)}
    tail = orjson.dumps(paging)
    return b'{"items":[' + b",".join(page.items) + b"]," + tail[1:]
