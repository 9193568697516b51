"""Entry encoding and page rendering: the bytes the API serves."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from pydantic import ValidationError

from journal.models import TEXT_PATTERN, Entry, NewEntry, Page, encode_entry, encode_tail, render_page

NOW = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def test_encode_entry_is_the_api_object() -> None:
    encoded = encode_entry(Entry(id=7, text='say "hi" 📓', created=NOW))

    assert orjson.loads(encoded) == {"id": 7, "text": 'say "hi" 📓', "created": "2026-01-02T03:04:05.678Z"}


def test_the_tail_completes_an_entry_after_its_id() -> None:
    tail = encode_tail(text="x", created=NOW)

    assert b'{"id":42' + tail == encode_entry(Entry(id=42, text="x", created=NOW))


def test_created_is_rendered_in_utc() -> None:
    local = NOW.astimezone(timezone(timedelta(hours=9)))

    assert b'"created":"2026-01-02T03:04:05.678Z"' in encode_tail(text="x", created=local)


@pytest.mark.parametrize(
    ("total", "number", "expected_next"),
    [
        pytest.param(0, 1, None, id="empty"),
        pytest.param(10, 1, None, id="exactly-one-page"),
        pytest.param(11, 1, "/api?page=2", id="one-more"),
        pytest.param(25, 3, None, id="last-page"),
        pytest.param(25, 9, None, id="past-the-end"),
    ],
)
def test_render_page(total: int, number: int, expected_next: str | None) -> None:
    items = tuple(encode_entry(Entry(id=n, text=f"t{n}", created=NOW)) for n in (2, 1))

    body = orjson.loads(render_page(Page(items=items, number=number, size=10, total=total)))

    assert body["next"] == expected_next
    assert [item["id"] for item in body["items"]] == [2, 1]
    assert (body["page"], body["page_size"], body["total"]) == (number, 10, total)


def test_render_an_empty_page() -> None:
    body = orjson.loads(render_page(Page(items=(), number=1, size=10, total=0)))

    assert body == {"items": [], "page": 1, "page_size": 10, "total": 0, "next": None}


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        pytest.param("hello", True, id="plain"),
        pytest.param("  padded\n", True, id="padded"),
        pytest.param("tab\tand\nnewline", True, id="tab-newline"),
        pytest.param("😀", True, id="emoji"),
        pytest.param(" ", False, id="blank"),
        pytest.param("\u3000\u00a0", False, id="unicode-blank"),
        pytest.param("a\x00", False, id="nul"),
        pytest.param("a\x1b[31m", False, id="escape"),
        pytest.param("a\ud800", False, id="lone-surrogate"),
    ],
)
def test_text_pattern(text: str, valid: bool) -> None:
    assert (re.search(TEXT_PATTERN, text) is not None) is valid


def test_new_entry_is_strict_and_closed() -> None:
    with pytest.raises(ValidationError):
        NewEntry.model_validate({"text": 1})
    with pytest.raises(ValidationError):
        NewEntry.model_validate({"text": "a", "extra": 1})
    assert NewEntry.model_validate({"text": "ok"}).text == "ok"
