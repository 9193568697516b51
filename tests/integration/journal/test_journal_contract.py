"""The API contract, route by route, against real Redis."""

from __future__ import annotations

import httpx
import pytest

from support.journal import ClientFactory
from support.redis import RedisPair

pytestmark = pytest.mark.anyio


async def add(client: httpx.AsyncClient, text: str) -> dict[str, object]:
    response = await client.post("/api", json={"text": text})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


async def test_post_returns_the_entry_and_its_location(journal: httpx.AsyncClient) -> None:
    response = await journal.post("/api", json={"text": "  first entry \n"})

    assert response.status_code == 201
    entry = response.json()
    assert entry["text"] == "first entry"
    assert set(entry) == {"id", "text", "created"}
    assert entry["created"].endswith("Z")
    assert response.headers["location"] == f"/api/{entry['id']}"
    assert response.headers["content-type"] == "application/json"
    fetched = await journal.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == entry


async def test_list_is_newest_first_and_paged(journal_for: ClientFactory, empty_redis: RedisPair) -> None:
    async with journal_for(empty_redis, entries=3) as client:
        ids = [(await add(client, f"entry {n}"))["id"] for n in range(7)]

        pages = [(await client.get("/api", params={"page": n})).json() for n in (1, 2, 3, 4)]

    newest_first = list(reversed(ids))
    assert [[item["id"] for item in page["items"]] for page in pages] == [
        newest_first[0:3],
        newest_first[3:6],
        newest_first[6:7],
        [],
    ]
    assert [page["next"] for page in pages] == ["/api?page=2", "/api?page=3", None, None]
    assert {(page["page_size"], page["total"]) for page in pages} == {(3, 7)}
    assert [page["page"] for page in pages] == [1, 2, 3, 4]


async def test_default_page_is_the_first_of_ten(journal: httpx.AsyncClient) -> None:
    for n in range(12):
        await add(journal, f"entry {n}")

    page = (await journal.get("/api")).json()

    assert (len(page["items"]), page["page"], page["page_size"], page["total"]) == (10, 1, 10, 12)
    assert page["items"][0]["text"] == "entry 11"


async def test_empty_journal_lists_nothing(journal: httpx.AsyncClient) -> None:
    response = await journal.get("/api")

    assert response.status_code == 200
    assert response.json() == {"items": [], "page": 1, "page_size": 10, "total": 0, "next": None}


async def test_delete_removes_the_entry_and_its_index(
    journal: httpx.AsyncClient, empty_redis: RedisPair
) -> None:
    kept, gone = await add(journal, "kept"), await add(journal, "gone")

    deleted = await journal.delete(f"/api/{gone['id']}")

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await journal.get(f"/api/{gone['id']}")).status_code == 404
    assert (await journal.delete(f"/api/{gone['id']}")).status_code == 404
    page = (await journal.get("/api")).json()
    assert [item["id"] for item in page["items"]] == [kept["id"]]
    assert page["total"] == 1
    primary = empty_redis.primary.client()
    assert primary.zcard("journal:index") == primary.hlen("journal:entries") == 1


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        pytest.param("PUT", "/api", {"GET", "HEAD", "POST"}, id="put-list"),
        pytest.param("PATCH", "/api/1", {"GET", "HEAD", "DELETE"}, id="patch-entry"),
        pytest.param("POST", "/api/1", {"GET", "HEAD", "DELETE"}, id="post-entry"),
        pytest.param("DELETE", "/api", {"GET", "HEAD", "POST"}, id="delete-list"),
        pytest.param("POST", "/healthz", {"GET", "HEAD"}, id="post-healthz"),
    ],
)
async def test_unknown_method_is_405_with_allow(
    journal: httpx.AsyncClient, method: str, path: str, allowed: set[str]
) -> None:
    response = await journal.request(method, path)

    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == allowed
    assert method in response.json()["detail"]


async def test_unknown_route_is_json_404(journal: httpx.AsyncClient) -> None:
    response = await journal.get("/apix")

    assert response.status_code == 404
    assert response.json() == {"detail": "no route for /apix"}


async def test_probes(journal: httpx.AsyncClient) -> None:
    assert (await journal.get("/healthz")).json() == {"status": "ok"}
    assert (await journal.get("/readyz")).json() == {"status": "ready", "writes": "available"}


async def test_metrics_count_requests_by_route_template(journal: httpx.AsyncClient) -> None:
    await journal.get("/api/12345")
    await journal.get("/api/777")

    text = (await journal.get("/metrics")).text

    assert 'journal_http_requests_total{method="GET",route="/api/{id}",status="404"} 2.0' in text
    assert "journal_http_request_duration_seconds_bucket" in text
    assert "journal_redis_errors_total" in text


async def test_request_id_is_echoed_or_made(journal: httpx.AsyncClient) -> None:
    given = await journal.get("/healthz", headers={"X-Request-ID": "abc-123"})
    made = await journal.get("/healthz", headers={"X-Request-ID": "bad id\twith tab"})

    assert given.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32


async def test_openapi_document_is_served_under_api(journal: httpx.AsyncClient) -> None:
    response = await journal.get("/api/openapi.json")

    document = response.json()
    assert response.status_code == 200
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {"/api", "/api/{id}"}


async def test_the_fast_path_and_the_router_answer_alike(journal: httpx.AsyncClient) -> None:
    for n in range(3):
        await add(journal, f"entry {n}")

    fast = await journal.get("/api?page=1")  # served by FastPath
    routed = await journal.get("/api?page=1&unused=1")  # any other query goes through Starlette

    assert fast.content == routed.content
    assert fast.headers["content-type"] == routed.headers["content-type"] == "application/json"
    assert fast.headers["content-length"] == routed.headers["content-length"]


async def test_an_add_on_the_fast_path_and_through_the_router_answer_alike(
    journal: httpx.AsyncClient,
) -> None:
    body = b'{"text": "same answer"}'
    fast = await journal.post("/api", content=body, headers={"Content-Type": "application/json"})
    # A media type parameter is for Starlette to check.
    charset = {"Content-Type": "application/json; charset=utf-8"}
    routed = await journal.post("/api", content=body, headers=charset)

    assert fast.status_code == routed.status_code == 201
    assert set(fast.headers) - {"x-request-id"} == set(routed.headers) - {"x-request-id"}
    assert fast.headers["location"] == f"/api/{fast.json()['id']}"
    assert int(routed.headers["journal-version"]) == int(fast.headers["journal-version"]) + 1
    assert fast.json()["text"] == routed.json()["text"] == "same answer"


async def test_a_bad_add_sent_to_the_fast_path_gets_the_routers_error(journal: httpx.AsyncClient) -> None:
    json_type = {"Content-Type": "application/json"}
    not_json = await journal.post("/api", content=b"{not json", headers=json_type)
    extra_field = await journal.post("/api", content=b'{"text": "a", "more": 1}', headers=json_type)
    bad_key = await journal.post("/api", json={"text": "a"}, headers={"Idempotency-Key": "with space"})

    assert not_json.status_code == 400
    assert not_json.json()["detail"].startswith("request body is not valid JSON")
    assert extra_field.status_code == 400
    assert "more" in extra_field.json()["detail"]
    assert bad_key.status_code == 400
    assert "Idempotency-Key" in bad_key.json()["detail"]
    assert (await journal.get("/api")).json()["total"] == 0
