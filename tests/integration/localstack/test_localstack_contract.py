"""The API contract through NGINX, and what NGINX does not send to the API."""

from __future__ import annotations

import pytest

from support.localstack import LocalStack, wait_until


def test_add_get_list_delete_round_trip(local_stack: LocalStack) -> None:
    with local_stack.client() as client:
        created = client.post("/api", json={"text": "  first through nginx  "})
        assert created.status_code == 201
        entry = created.json()
        assert set(entry) == {"id", "text", "created"}
        assert entry["text"] == "first through nginx"
        assert created.headers["location"] == f"/api/{entry['id']}"

        second = client.post("/api", json={"text": "second"}).json()
        page = client.get("/api")
        assert page.status_code == 200
        body = page.json()
        assert {"items", "page", "page_size", "total"} <= set(body)
        assert [item["id"] for item in body["items"][:2]] == [second["id"], entry["id"]]

        assert client.get(f"/api/{entry['id']}").json() == entry
        assert client.delete(f"/api/{entry['id']}").status_code == 204
        gone = client.get(f"/api/{entry['id']}")
        assert gone.status_code == 404
        assert "detail" in gone.json()


def test_pages_hold_page_size_entries_newest_first(local_stack: LocalStack) -> None:
    size = local_stack.options.page_size
    with local_stack.client() as client:
        ids = [client.post("/api", json={"text": f"paging {i}"}).json()["id"] for i in range(size + 2)]
        first = client.get("/api", params={"page": 1}).json()
        second = client.get("/api", params={"page": 2}).json()
    assert [item["id"] for item in first["items"]] == ids[::-1][:size]
    assert [item["id"] for item in second["items"]][:2] == ids[::-1][size:]
    assert first["page_size"] == size
    assert first["next"] is not None


@pytest.mark.parametrize("path", ["/apix", "/apix/1", "/api-docs", "/apis"])
def test_paths_that_only_start_with_api_are_not_routed_to_the_api(local_stack: LocalStack, path: str) -> None:
    with local_stack.client() as client:
        response = client.get(path)
    assert response.status_code == 404
    # NGINX's own HTML 404, not the API's JSON, and no upstream was involved.
    assert response.headers["content-type"].startswith("text/html")
    assert "x-request-id" not in response.headers

    def logged() -> bool:
        return any(line["uri"] == path for line in local_stack.access_log())

    wait_until(logged, what=f"{path} in the access log")
    assert all(line["upstream"] == "" for line in local_stack.access_log() if line["uri"] == path)


def test_api_paths_are_routed_to_the_api(local_stack: LocalStack) -> None:
    with local_stack.client() as client:
        response = client.get("/api/999999999")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert "detail" in response.json()


def test_unknown_methods_get_405_json(local_stack: LocalStack) -> None:
    with local_stack.client() as client:
        response = client.put("/api", json={"text": "x"})
    assert response.status_code == 405
    assert "detail" in response.json()


def test_web_ui_is_served_at_the_root(local_stack: LocalStack) -> None:
    with local_stack.client() as client:
        index = client.get("/")
        script = client.get("/app.js")
        style = client.get("/style.css")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assert "<title>Journal</title>" in index.text
    assert script.headers["content-type"] == "application/javascript"
    assert style.headers["content-type"] == "text/css"


def test_openapi_document_is_served_through_nginx(local_stack: LocalStack) -> None:
    with local_stack.client() as client:
        response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert "/api" in response.json()["paths"]
