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


def test_the_tail_is_the_entry_after_its_id() -> None:
    # The add script prepends `{"id":<id>`: the tail must start with the comma and close the object.
    assert encode_tail(text='x"', created=NOW) == b',"text":"x\\"","created":"2026-01-02T03:04:05.678Z"}'


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


def test_a_page_serves_the_stored_bytes_as_they_are() -> None:
    stored = (b'{"id":2,"text":"b","created":"c"}', b'{"id":1,"text":"a","created":"c"}')

    assert render_page(Page(items=stored, number=1, size=2, total=3)) == (
        b'{"items":[{"id":2,"text":"b","created":"c"},{"id":1,"text":"a","created":"c"}],'
        b'"page":1,"page_size":2,"total":3,"next":"/api?page=2"}'
    )


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


@pytest.mark.timeout(20)
@pytest.mark.parametrize("text", ["x" * 200_000 + "\x00", " " * 200_000, "a\t" * 100_000 + "\x07"])
def test_the_text_pattern_refuses_long_text_in_one_pass(text: str) -> None:
    # A pattern that can split a run of allowed characters in many ways backtracks quadratically
    # before refusing a late control character: 4,000 characters took 0.14 s, 200,000 about six
    # minutes. The OpenAPI document publishes the pattern, so clients run it too, on any length.
    assert re.search(TEXT_PATTERN, text) is None


def test_new_entry_is_strict_and_closed() -> None:
    with pytest.raises(ValidationError):
        NewEntry.model_validate({"text": 1})
    with pytest.raises(ValidationError):
        NewEntry.model_validate({"text": "a", "extra": 1})
    assert NewEntry.model_validate({"text": "ok"}).text == "ok"
