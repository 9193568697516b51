"""The journal app for tests: in-process (httpx over ASGI, lifespan run) on a real Redis pair."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx

from journal.app import create_app
from journal.settings import Config, load_config
from support.redis import RedisPair

ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def config_for(pair: RedisPair, **overrides: Any) -> Config:
    settings: dict[str, Any] = {
        "redis_write_url": pair.primary.url,
        "redis_read_url": pair.replica.url,
        "redis_password_file": pair.password_file,
        "redis_timeout_s": 2.0,
    }
    return load_config(**{**settings, **overrides})


@asynccontextmanager
async def journal_client(config: Config) -> AsyncIterator[httpx.AsyncClient]:
    """A client for a fresh app (its own store and connections), with the lifespan run around it."""
    app = create_app(config)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://journal") as client:
            yield client
