"""Hostile and malformed input through NGINX: always a 4xx, never a 5xx."""

from __future__ import annotations

import pytest

from support.localstack import LocalStack

JSON_HEADERS = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{", id="truncated"),
        pytest.param(b"not json", id="not-json"),
        pytest.param(b"", id="empty"),
        pytest.param(b'{"text": "a",}', id="trailing-comma"),
        pytest.param(b"\xff\xfe\x00garbage", id="invalid-utf8"),
        pytest.param(b'{"text": 5}', id="number"),
        pytest.param(b'{"text": null}', id="null"),
        pytest.param(b'{"text": ["a"]}', id="list"),
        pytest.param(b"[]", id="array-body"),
        pytest.param(b'"text"', id="string-body"),
        pytest.param(b'{"text": ""}', id="empty-text"),
        pytest.param(b'{"text": "   "}', id="blank-text"),
        pytest.param(b'{"txt": "typo"}', id="wrong-field"),
        pytest.param(b'{"text": "a", "extra": 1}', id="extra-field"),
        pytest.param(b'{"text": "\\ud800"}', id="lone-surrogate"),
        pytest.param(b'{"text": "nul\\u0000byte"}', id="nul"),
        pytest.param(b'{"text": "' + b"x" * 1001 + b'"}', id="too-long-text"),
    ],
)
def test_bad_bodies_get_400_with_detail(local_stack: LocalStack, body: bytes) -> None:
    with local_stack.client() as client:
        response = client.post("/api", content=body, headers=JSON_HEADERS)
    assert response.status_code == 400, response.text
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("emoji 🚀🔥", id="emoji"),
        pytest.param("עברית mixed RTL", id="rtl"),
        pytest.param("zero\u200bwidth", id="zero-width"),
        pytest.param("<script>alert(1)</script>", id="html"),
        pytest.param("e\u0301 combining", id="combining"),
    ],
)
def test_odd_but_valid_unicode_round_trips(local_stack: LocalStack, text: str) -> None:
    with local_stack.client() as client:
        created = client.post("/api", json={"text": text})
        assert created.status_code == 201
        assert client.get(f"/api/{created.json()['id']}").json()["text"] == text


@pytest.mark.parametrize(
    "size",
    [
        pytest.param(20_000, id="over-the-api-limit"),
        pytest.param(2_000_000, id="over-the-nginx-limit"),
    ],
)
def test_huge_bodies_get_a_json_413(local_stack: LocalStack, size: int) -> None:
    body = b'{"text": "' + b"x" * size + b'"}'
    with local_stack.client() as client:
        response = client.post("/api", content=body, headers=JSON_HEADERS)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/json"
    assert "large" in response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/999999999",
        "/api/0",
        "/api/-1",
        "/api/abc",
        "/api/1e3",
        "/api/%F0%9F%9A%80",
        "/api/1/2",
    ],
)
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_unknown_ids_get_404(local_stack: LocalStack, method: str, path: str) -> None:
    with local_stack.client() as client:
        response = client.request(method, path)
    assert response.status_code == 404, response.text
    assert response.json()["detail"]


def test_a_nul_in_the_path_is_refused_by_nginx(local_stack: LocalStack) -> None:
    with local_stack.client() as client:
        response = client.get("/api/%00")
    assert response.status_code == 400


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "99999999999", ""])
def test_bad_pages_get_400(local_stack: LocalStack, page: str) -> None:
    with local_stack.client() as client:
        response = client.get("/api", params={"page": page})
    assert response.status_code == 400, response.text
    assert "page" in response.json()["detail"]


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_unsupported_methods_on_an_entry_get_405(local_stack: LocalStack, method: str) -> None:
    with local_stack.client() as client:
        response = client.request(method, "/api/1", json={"text": "x"})
    assert response.status_code == 405
