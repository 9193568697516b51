"""Idempotency-Key on POST /api against real Redis: a retried add is stored once."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from support.journal import ClientFactory
from support.redis import RedisPair

pytestmark = pytest.mark.anyio


async def post(client: httpx.AsyncClient, text: str, key: str | None) -> httpx.Response:
    headers = {} if key is None else {"Idempotency-Key": key}
    return await client.post("/api", json={"text": text}, headers=headers)


async def total(client: httpx.AsyncClient) -> int:
    count: int = (await client.get("/api")).json()["total"]
    return count


async def test_a_repeated_key_replays_the_first_entry_and_stores_nothing(journal: httpx.AsyncClient) -> None:
    first = await post(journal, "once", "retry-1")
    again = await post(journal, "once", "retry-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()  # the same id and creation time
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await total(journal) == 1


async def test_without_a_key_every_post_is_a_new_entry(journal: httpx.AsyncClient) -> None:
    ids = {(await post(journal, "same text", None)).json()["id"] for _ in range(3)}
    assert len(ids) == 3


async def test_a_reused_key_with_other_text_is_a_422_and_stores_nothing(journal: httpx.AsyncClient) -> None:
    await post(journal, "original", "key-2")
    reused = await post(journal, "something else", "key-2")

    assert reused.status_code == 422
    assert "Idempotency-Key" in reused.json()["detail"]
    assert await total(journal) == 1


async def test_concurrent_posts_with_one_key_store_one_entry(journal: httpx.AsyncClient) -> None:
    responses = await asyncio.gather(*(post(journal, "raced", "key-3") for _ in range(20)))

    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 19
    assert await total(journal) == 1


async def test_the_replay_survives_deleting_the_entry(journal: httpx.AsyncClient) -> None:
    first = await post(journal, "short-lived", "key-4")
    assert (await journal.delete(first.headers["location"])).status_code == 204

    again = await post(journal, "short-lived", "key-4")

    assert again.status_code == 201
    assert again.json() == first.json()  # what the first request was told, as the IETF draft asks
    assert await total(journal) == 0


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "tab\there", "ünicode"])
async def test_malformed_keys_are_a_400_naming_the_header(journal: httpx.AsyncClient, key: str) -> None:
    response = await journal.post(
        "/api",
        content=b'{"text": "x"}',
        headers={b"Idempotency-Key": key.encode(), b"Content-Type": b"application/json"},
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert await total(journal) == 0


async def test_keys_expire_after_the_configured_ttl(
    journal_for: ClientFactory, empty_redis: RedisPair
) -> None:
    async with journal_for(empty_redis, idempotency_ttl_s=7) as client:
        await post(client, "remembered", "key-5")

    ttl = empty_redis.primary.client().ttl("journal:idempotency:key-5")
    assert 0 < ttl <= 7
