"""`python -m journal` (journal/front.py): the hot routes answered there, the rest by the ASGI app.

Against a real process: what a client sees must not depend on which of the two answered.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kbp.ports import free_ports
from support.journal import JournalProcess, journal_env, running_journal
from support.redis import RedisPair

HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(scope="module")
def live(redis_pair: RedisPair, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JournalProcess]:
    directory = tmp_path_factory.mktemp("journal-front")
    redis_pair.primary.client().flushall()
    redis_pair.wait_replicated()
    env = journal_env(redis_pair, port=free_ports(1)[0], config_dir=directory, entries="3")
    with running_journal(env, directory) as journal:
        yield journal


def post(journal: JournalProcess, content: bytes, **headers: str) -> httpx.Response:
    return httpx.post(
        journal.url + "/api", content=content, headers={"Content-Type": "application/json", **headers}
    )


def test_the_hot_routes_answer_with_every_header(live: JournalProcess) -> None:
    created = post(live, b'{"text": "  first  "}')
    listed = httpx.get(live.url + "/api", headers={"Journal-Version": created.headers["journal-version"]})

    assert created.status_code == 201
    entry = created.json()
    assert entry["text"] == "first"
    assert created.headers["location"] == f"/api/{entry['id']}"
    assert created.headers["content-type"] == "application/json"
    assert int(created.headers["content-length"]) == len(created.content)
    assert HEX_ID.fullmatch(created.headers["x-request-id"])
    assert listed.status_code == 200
    assert listed.headers["content-type"] == "application/json"
    assert int(listed.headers["content-length"]) == len(listed.content)
    assert int(listed.headers["journal-version"]) >= int(created.headers["journal-version"])
    assert entry in listed.json()["items"]  # read-your-writes, by the token the client sent back
    assert "connection" not in listed.headers


def test_a_callers_request_id_is_echoed_and_logged(live: JournalProcess) -> None:
    listed = httpx.get(live.url + "/api", headers={"X-Request-ID": "fr-get.1"})
    created = post(live, b'{"text": "with an id"}', **{"X-Request-ID": "fr-post.1"})
    unsafe = httpx.get(live.url + "/api", headers={"X-Request-ID": "not safe!"})
    metrics = httpx.get(live.url + "/metrics").text

    assert listed.headers["x-request-id"] == "fr-get.1"
    assert created.headers["x-request-id"] == "fr-post.1"
    assert HEX_ID.fullmatch(unsafe.headers["x-request-id"])
    lines = {event.get("request_id"): event for event in live.log_events() if event.get("event") == "request"}
    assert (lines["fr-get.1"]["method"], lines["fr-get.1"]["route"], lines["fr-get.1"]["status"]) == (
        "GET",
        "/api",
        200,
    )
    assert (lines["fr-post.1"]["route"], lines["fr-post.1"]["status"]) == ("/api", 201)
    assert {"duration_ms", "timestamp", "level"} <= set(lines["fr-post.1"])
    counted = re.search(
        r'journal_http_requests_total\{method="POST",route="/api",status="201"\} (\S+)', metrics
    )
    assert counted is not None
    assert float(counted.group(1)) >= 1


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        pytest.param(b'{"text": 1}', "text: input should be a valid string", id="wrong-type"),
        pytest.param(b"{not json", "request body is not valid JSON", id="not-json"),
        pytest.param(b'{"text": "x", "more": 1}', "more: extra inputs are not permitted", id="unknown-field"),
    ],
)
def test_a_body_the_hot_route_refuses_is_answered_by_the_app(
    live: JournalProcess, body: bytes, detail: str
) -> None:
    # Sent like a valid add (JSON type, a Content-Length): the body read for the hot route is handed on.
    refused = post(live, body)

    assert refused.status_code == 400
    assert refused.json()["detail"].startswith(detail)
    assert HEX_ID.fullmatch(refused.headers["x-request-id"])


def test_requests_off_the_hot_routes_are_answered_by_the_app(live: JournalProcess) -> None:
    def chunks(body: bytes) -> Iterator[bytes]:
        yield body[:5]
        yield body[5:]

    streamed = httpx.post(
        live.url + "/api",
        content=chunks(b'{"text": "chunked"}'),
        headers={"Content-Type": "application/json"},
    )
    too_large = httpx.post(
        live.url + "/api",
        content=chunks(b'{"text": "' + b"x" * 5000 + b'"}'),
        headers={"Content-Type": "application/json"},
    )
    form = httpx.post(live.url + "/api", content=b'{"text": "x"}', headers={"Content-Type": "text/plain"})
    put = httpx.put(live.url + "/api")
    bad_page = httpx.get(live.url + "/api?page=0")
    bad_version = httpx.get(live.url + "/api", headers={"Journal-Version": "v1"})
    one = httpx.get(live.url + streamed.headers["location"])

    assert streamed.status_code == 201
    assert streamed.json()["text"] == "chunked"
    assert one.json() == streamed.json()
    assert too_large.status_code == 413
    assert form.status_code == 415
    assert put.status_code == 405
    assert set(put.headers["allow"].split(", ")) == {"GET", "POST", "HEAD"}
    assert bad_page.status_code == 400
    assert bad_version.status_code == 400
    assert httpx.get(live.url + "/api?page=2").json()["page"] == 2


def test_a_retry_with_its_key_is_replayed_on_the_hot_route(live: JournalProcess) -> None:
    first = post(live, b'{"text": "once"}', **{"Idempotency-Key": "front-key-1"})
    again = post(live, b'{"text": "once"}', **{"Idempotency-Key": "front-key-1"})
    other = post(live, b'{"text": "other"}', **{"Idempotency-Key": "front-key-1"})

    assert (first.status_code, again.status_code, other.status_code) == (201, 201, 422)
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


def test_after_drainz_every_answer_closes_its_connection(redis_pair: RedisPair, tmp_path: Path) -> None:
    env = journal_env(redis_pair, port=free_ports(1)[0], config_dir=tmp_path)
    with running_journal(env, tmp_path) as journal:
        before = httpx.get(journal.url + "/api")
        drained = httpx.get(journal.url + "/drainz?seconds=0")
        listed = httpx.get(journal.url + "/api")
        created = post(journal, b'{"text": "while draining"}')
        healthy = httpx.get(journal.url + "/healthz")

    assert "connection" not in before.headers
    assert drained.status_code == 200
    assert (listed.status_code, created.status_code, healthy.status_code) == (200, 201, 200)
    assert [r.headers["connection"] for r in (listed, created, healthy)] == ["close"] * 3
