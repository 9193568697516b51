"""Probes and metrics: `/healthz` (the process answers), `/readyz` (entries can be read), `/metrics`.

Readiness follows reads, not writes: when the primary is down every pod would otherwise leave the
Service at once and reads would fail too, although the replica can still serve them. The body says
whether writes are available. Each probe checks only this process and the Redis it talks to.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journal.metrics import Metrics
from journal.store import Store

JSON = "application/json"
NOT_READY = b'{"detail":"storage unavailable: neither Redis endpoint answers"}'
READY = b'{"status":"ready","writes":"available"}'
READ_ONLY = b'{"status":"ready","writes":"unavailable"}'


class Probes:
    def __init__(self, *, store: Store, metrics: Metrics) -> None:
        self.store = store
        self.metrics = metrics

    def routes(self) -> list[Route]:
        return [
            Route("/healthz", self.healthz, methods=["GET"]),
            Route("/readyz", self.readyz, methods=["GET"]),
            Route("/metrics", self.render_metrics, methods=["GET"]),
        ]

    async def healthz(self, request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type=JSON)

    async def readyz(self, request: Request) -> Response:
        availability = await self.store.availability()
        if not availability.readable:
            return Response(NOT_READY, status_code=503, media_type=JSON)
        return Response(READY if availability.writable else READ_ONLY, media_type=JSON)

    async def render_metrics(self, request: Request) -> Response:
        return Response(self.metrics.render(), headers={"Content-Type": self.metrics.content_type})
