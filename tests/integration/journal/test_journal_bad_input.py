"""Hostile input gets a 4xx with a JSON detail, never a 500; odd but valid text round-trips exactly."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

pytestmark = pytest.mark.anyio

JSON_HEADERS = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        pytest.param(b'{"text": ', 400, "not valid JSON", id="truncated-json"),
        pytest.param(b"", 400, "not valid JSON", id="empty-body"),
        pytest.param(b"\xef\xbb\xbf{}", 400, "not valid JSON", id="utf8-bom"),
        pytest.param(b'{"text": "\xff\xfe"}', 400, "not valid JSON", id="invalid-utf8"),
        pytest.param(b'{"text": "\\ud800"}', 400, "not valid JSON", id="lone-surrogate-escaped"),
        pytest.param(b"[" * 3000, 400, "not valid JSON", id="deep-nesting"),
        pytest.param(b"null", 400, "body: must be a JSON object", id="null"),
        pytest.param(b'["text"]', 400, "body: must be a JSON object", id="array"),
        pytest.param(b'"text"', 400, "body: must be a JSON object", id="string"),
        pytest.param(b"{}", 400, "text: field required", id="missing-text"),
        pytest.param(b'{"text": 42}', 400, "text: input should be a valid string", id="number"),
        pytest.param(b'{"text": null}', 400, "text: input should be a valid string", id="text-null"),
        pytest.param(b'{"text": true}', 400, "text: input should be a valid string", id="bool"),
        pytest.param(b'{"text": ["a"]}', 400, "text: input should be a valid string", id="list"),
        pytest.param(b'{"text": 1e999}', 400, "not valid JSON: number is infinity", id="huge-number"),
        pytest.param(b'{"text": "a", "author": "x"}', 400, "author: extra inputs", id="unknown-field"),
        pytest.param(b'{"text": ""}', 400, "text: string should have at least 1 character", id="empty-text"),
        pytest.param(b'{"text": " \\t\\n "}', 400, "text: must contain a visible", id="blank-text"),
        pytest.param(b'{"text": "a\\u0000b"}', 400, "no control characters", id="nul"),
        pytest.param(b'{"text": "bell\\u0007"}', 400, "no control characters", id="bel"),
        pytest.param(b'{"text": "del\\u007f"}', 400, "no control characters", id="del"),
        pytest.param(b'{"text": "' + b"x" * 1001 + b'"}', 400, "at most 1000 characters", id="1001-chars"),
        pytest.param(b'{"text": "' + b"x" * 5000 + b'"}', 413, "larger than 4096 bytes", id="huge-body"),
    ],
)
async def test_bad_post_bodies_are_refused(
    journal: httpx.AsyncClient, body: bytes, status: int, detail: str
) -> None:
    response = await journal.post("/api", content=body, headers=JSON_HEADERS)

    assert response.status_code == status, response.text
    assert detail in response.json()["detail"]
    assert (await journal.get("/api")).json()["total"] == 0


async def test_huge_chunked_body_is_413_without_a_length(journal: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(100):
            yield b"x" * 100
        yield b'"}'

    response = await journal.post("/api", content=chunks(), headers=JSON_HEADERS)

    assert response.status_code == 413


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("שלום עולם — مرحبا بالعالم", id="rtl"),
        pytest.param("\u202eevil\u202c override marks", id="bidi-controls"),
        pytest.param("📓✨ 👩‍👩‍👧‍👦 🏳️‍🌈", id="emoji-zwj"),
        pytest.param("e\u0301 combining, \U0001d518\U0001d52b astral", id="combining-astral"),
        pytest.param("line\u2028separator and\ttab\nnewline", id="separators"),
        pytest.param("😀" * 1000, id="1000-emoji"),
        pytest.param('quotes " and \\ backslashes </script>', id="escapes"),
    ],
)
async def test_odd_but_valid_text_round_trips(journal: httpx.AsyncClient, text: str) -> None:
    created = await journal.post("/api", json={"text": text})

    assert created.status_code == 201, created.text
    fetched = await journal.get(created.headers["location"])
    assert fetched.json()["text"] == text
    assert (await journal.get("/api")).json()["items"][0]["text"] == text


@pytest.mark.parametrize(
    "raw_id",
    ["0", "-1", "abc", "1.5", "1e3", "%00", "%20%31", "\uff11", "9" * 23, "💥", "424242", "01"],
)
@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_unknown_or_garbage_ids_are_404(journal: httpx.AsyncClient, method: str, raw_id: str) -> None:
    response = await journal.request(method, f"/api/{raw_id}")

    assert response.status_code == 404
    assert response.json()["detail"].startswith("no entry with id")


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "", "99999999999", "%00", "1e2"])
async def test_bad_page_numbers_are_400(journal: httpx.AsyncClient, page: str) -> None:
    response = await journal.get(f"/api?page={page}")

    assert response.status_code == 400
    assert "query parameter 'page'" in response.json()["detail"]


async def test_a_page_past_the_end_is_empty(journal: httpx.AsyncClient) -> None:
    response = await journal.get("/api?page=1000000000")

    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize("token", ["-1", "1.5", "x", "9" * 19, "\u0663", "\u00b2", ""])
@pytest.mark.parametrize("path", ["/api", "/api/1"])
async def test_a_malformed_journal_version_is_a_400_naming_the_header(
    journal: httpx.AsyncClient, path: str, token: str
) -> None:
    response = await journal.get(path, headers={b"Journal-Version": token.encode()})

    assert response.status_code == 400
    assert response.json()["detail"].startswith("header 'Journal-Version' must be")


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param(None, id="none"),
        pytest.param("text/plain", id="text-plain"),
        pytest.param("application/x-www-form-urlencoded", id="form"),
        pytest.param("multipart/form-data; boundary=x", id="multipart"),
        pytest.param("application/jsonp", id="json-prefix"),
    ],
)
async def test_a_body_that_is_not_declared_json_is_a_415(
    journal: httpx.AsyncClient, content_type: str | None
) -> None:
    # A cross-site form or a no-cors fetch can send only these types: none of them may add an entry.
    headers = {} if content_type is None else {"content-type": content_type}
    response = await journal.post("/api", content=b'{"text": "cross-site"}', headers=headers)

    assert response.status_code == 415
    assert response.json()["detail"] == "request body must be sent with 'Content-Type: application/json'"
    assert (await journal.get("/api")).json()["total"] == 0


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON"])
async def test_json_with_parameters_or_other_case_is_accepted(
    journal: httpx.AsyncClient, content_type: str
) -> None:
    response = await journal.post("/api", content=b'{"text": "ok"}', headers={"content-type": content_type})

    assert response.status_code == 201


# Header bytes reach the app decoded as Latin-1, where '²' and '¹' are digits to str.isdigit().
@pytest.mark.parametrize("length", [b"\xb2", b"1\xb9", "\u0661\u0662".encode(), b"1_0", b"+5"])
async def test_a_content_length_of_non_ascii_digits_is_not_a_500(
    journal: httpx.AsyncClient, length: bytes
) -> None:
    response = await journal.post(
        "/api",
        content=b'{"text": "x"}',
        headers={b"content-type": b"application/json", b"content-length": length},
    )

    assert response.status_code < 500
