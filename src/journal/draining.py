"""`GET /drainz?seconds=N`: the pod is going (kubelet's preStop hook calls it), so from now on every
answer carries `Connection: close`, and the hook's own answer comes after N seconds.

While endpoints drop a terminating pod, clients keep the keep-alive connections they already have
to it. Closed by the server at shutdown, an idle one can race a request the client is sending and
the client sees the connection reset, with no answer (one in ~9,000 requests during a rolling
upgrade on the real node, bench/journal_running.py). Told to close after each answer while the
hook waits, clients open new connections, which reach the pods that stay. Not routed from outside
the cluster: the HTTPRoute and Ingress send only `/api` here.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PATH = "/drainz"
MAX_SECONDS = 120  # values.schema.json caps api.preStopSeconds there too
_SECONDS = re.compile(rb"seconds=([0-9]{1,3})")
_CLOSE = (b"connection", b"close")


@dataclass
class DrainState:
    """Whether /drainz was called: shared with the front entry (front.py), which answers the hot routes."""

    draining: bool = False


class Draining:
    """Outermost ASGI layer: the drain endpoint, and `Connection: close` once it was called."""

    def __init__(self, app: ASGIApp, state: DrainState | None = None) -> None:
        self.app = app
        self.state = state if state is not None else DrainState()

    @property
    def draining(self) -> bool:
        return self.state.draining

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == PATH and scope["method"] == "GET":
            await self._drain(scope, send)
            return
        if not self.draining:
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), _CLOSE]}
            await send(message)

        await self.app(scope, receive, closing)

    async def _drain(self, scope: Scope, send: Send) -> None:
        self.state.draining = True
        match = _SECONDS.fullmatch(scope["query_string"])
        await asyncio.sleep(min(int(match.group(1)), MAX_SECONDS) if match else 0)
        body = b'{"status":"draining"}'
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body)), _CLOSE]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
