"""The pure parts of the API: query and path parsing, validation messages."""

from __future__ import annotations

import pytest
from starlette.exceptions import HTTPException

from journal.api import MAX_PAGE, parse_id, parse_new_entry, parse_page


@pytest.mark.parametrize(("raw", "page"), [(None, 1), ("1", 1), ("42", 42), (str(MAX_PAGE), MAX_PAGE)])
def test_parse_page(raw: str | None, page: int) -> None:
    assert parse_page(raw) == page


@pytest.mark.parametrize("raw", ["", "0", "-1", "01", "1.0", "x", str(MAX_PAGE + 1), "9" * 40, " 1"])
def test_parse_page_refuses(raw: str) -> None:
    with pytest.raises(HTTPException) as raised:
        parse_page(raw)

    assert raised.value.status_code == 400
    assert "query parameter 'page'" in raised.value.detail


@pytest.mark.parametrize(
    ("raw", "entry_id"),
    [
        ("1", 1),
        ("123", 123),
        ("0", None),
        ("01", None),
        ("-1", None),
        ("1a", None),
        ("9" * 19, None),
        ("", None),
    ],
)
def test_parse_id(raw: str, entry_id: int | None) -> None:
    assert parse_id(raw) == entry_id


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        pytest.param(b"nope", "request body is not valid JSON", id="not-json"),
        pytest.param(b"[]", "body: must be a JSON object", id="array"),
        pytest.param(b"{}", "text: field required", id="missing"),
        pytest.param(
            b'{"text": 1, "b": 2}', "text: input should be a valid string; b: extra inputs", id="two"
        ),
        pytest.param(b'{"text": "\\u0000"}', "text: must contain a visible character", id="nul"),
    ],
)
def test_parse_new_entry_names_the_problem(body: bytes, detail: str) -> None:
    with pytest.raises(HTTPException) as raised:
        parse_new_entry(body)

    assert raised.value.status_code == 400
    assert detail in raised.value.detail


def test_parse_new_entry_does_not_echo_input() -> None:
    with pytest.raises(HTTPException) as raised:
        parse_new_entry(b'{"text": 12345678, "secret-looking": "hunter2"}')

    assert "hunter2" not in raised.value.detail
    assert "12345678" not in raised.value.detail
