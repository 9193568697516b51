"""After kubelet's preStop calls /drainz, every answer tells the client to close its connection."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from journal.draining import Draining


async def plain(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.anyio
async def test_answers_keep_the_connection_until_drainz_then_close_it() -> None:
    app = Draining(plain)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        before = await client.get("/api")
        assert before.text == "ok"
        assert "connection" not in before.headers
        drained = await client.get("/drainz?seconds=0")
        assert drained.status_code == 200
        after = await client.get("/api")
        assert after.text == "ok"
        assert after.headers["connection"] == "close"


@pytest.mark.anyio
async def test_drainz_answers_after_the_seconds_it_is_given() -> None:
    app = Draining(plain)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.get("/drainz?seconds=5"), timeout=0.3)
    assert app.draining
