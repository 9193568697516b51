"""Probes and metrics: `/healthz` (the process answers), `/readyz` (the Redis primary answers), `/metrics`.

Each probe checks only this process and the primary it writes to, never another pod.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from journal.metrics import Metrics
from journal.store import Store

JSON = "application/json"
NOT_READY = b'{"detail":"storage unavailable: the Redis primary does not answer"}'


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
        if await self.store.is_writable():
            return Response(b'{"status":"ready"}', media_type=JSON)
        return Response(NOT_READY, status_code=503, media_type=JSON)

    async def render_metrics(self, request: Request) -> Response:
        return Response(self.metrics.render(), headers={"Content-Type": self.metrics.content_type})
