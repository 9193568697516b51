"""Readiness gates: poll a deadline, and fail at once if the process we wait on has died."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from kbp.cluster.components import Component
from kbp.cluster.processes import Handle, alive

POLL = 0.1


class NotReadyError(Exception):
    """A component did not become ready; `component` names it, for the log tail."""

    def __init__(self, component: str, message: str, *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.component = component
        self.timed_out = timed_out


@dataclass(frozen=True)
class Tls:
    """How to talk to the cluster's HTTPS endpoints: its CA, and optionally a client cert."""

    ca: Path
    cert: Path | None = None
    key: Path | None = None

    def context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.ca))
        if self.cert is not None:
            ctx.load_cert_chain(str(self.cert), str(self.key) if self.key else None)
        return ctx


def http_ok(url: str, tls: Tls | None, client: httpx.Client | None = None) -> bool:
    """True if GET url answers 200. Connection errors mean "not yet", not failure.

    A `client` (from `polling`) keeps its connection between calls, so polling one server costs one
    TLS context and handshake in all instead of one a poll, on both ends."""
    try:
        if client is not None:
            response = client.get(url)
        else:
            with polling(tls) as once:
                response = once.get(url)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def polling(tls: Tls | None) -> httpx.Client:
    """A client for `http_ok` to poll with; close it (`with`) when done."""
    verify: ssl.SSLContext | bool = tls.context() if tls is not None else False
    return httpx.Client(verify=verify, timeout=2.0, trust_env=False)


def wait(handle: Handle, check: Callable[[], bool], what: str, deadline: float) -> None:
    """Poll `check` until it passes; raise as soon as the process exits or the deadline passes."""
    while not check():
        if not alive(handle):
            raise NotReadyError(handle.name, f"{handle.name} exited before {what}")
        if time.monotonic() >= deadline:
            raise NotReadyError(handle.name, f"timed out waiting for {what}", timed_out=True)
        time.sleep(POLL)


def wait_healthy(handle: Handle, component: Component, tls: Tls, deadline: float) -> None:
    # Anonymous health checks: the apiserver allows /readyz to everyone; KCM/scheduler by flag.
    ca_only = Tls(tls.ca) if component.tls else None
    with polling(ca_only) as client:
        wait(
            handle,
            lambda: http_ok(component.health_url, ca_only, client),
            f"{component.health_url} to answer 200",
            deadline,
        )
