"""Prometheus metrics, in a registry per app so tests can build many apps in one process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from structlog.typing import FilteringBoundLogger

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """Request counts and latency by route template and status, and what the store survived."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._requests = Counter(
            "journal_http_requests",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "journal_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.redis_errors = Counter(
            "journal_redis_errors",
            "Redis calls that failed, by endpoint (write = primary, read = replica) and operation.",
            ["endpoint", "operation"],
            registry=self.registry,
        )
        self.read_fallbacks = Counter(
            "journal_read_fallbacks",
            "Reads repeated on the primary, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.unconfirmed_writes = Counter(
            "journal_unconfirmed_writes",
            "Writes answered 503 because no replica confirmed them in time (their fate is unknown).",
            ["operation"],
            registry=self.registry,
        )
        # labels() takes a lock and builds a key on every call; the hot path looks children up here.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe_request(self, *, method: str, route: str, status: int, duration_s: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                self._requests.labels(method, route, str(status)),
                self._latency.labels(method, route),
            )
            self._children[key] = children
        children[0].inc()
        children[1].observe(duration_s)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class StoreEvents:
    """The store's observer: counts and logs Redis errors and read fallbacks."""

    def __init__(self, metrics: Metrics, log: FilteringBoundLogger) -> None:
        self._metrics = metrics
        self._log = log

    def redis_error(self, *, endpoint: str, operation: str, error: Exception) -> None:
        self._metrics.redis_errors.labels(endpoint, operation).inc()
        # The class name and message of a redis error carry host:port at most, never the password.
        self._log.warning(
            "redis_error",
            endpoint=endpoint,
            operation=operation,
            error=type(error).__name__,
            message=str(error)[:256],
        )

    def read_fallback(self, *, reason: str) -> None:
        self._metrics.read_fallbacks.labels(reason).inc()

    def unconfirmed_write(self, *, operation: str) -> None:
        self._metrics.unconfirmed_writes.labels(operation).inc()
        self._log.warning("write_unconfirmed", operation=operation)
