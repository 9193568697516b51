"""Prometheus metrics: one registry per app, labelled by route template and status."""

from __future__ import annotations

from journal.metrics import Metrics


def test_requests_are_counted_by_route_template_and_status() -> None:
    metrics = Metrics()

    for _ in range(3):
        metrics.observe_request(method="GET", route="/api/{id}", status=404, duration_s=0.002)
    metrics.observe_request(method="POST", route="/api", status=201, duration_s=0.004)

    text = metrics.render().decode()
    assert 'journal_http_requests_total{method="GET",route="/api/{id}",status="404"} 3.0' in text
    assert 'journal_http_requests_total{method="POST",route="/api",status="201"} 1.0' in text
    assert (
        'journal_http_request_duration_seconds_bucket{le="0.0025",method="GET",route="/api/{id}"} 3.0' in text
    )


def test_each_app_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()

    first.redis_errors.labels("write", "add").inc()

    assert 'journal_redis_errors_total{endpoint="write",operation="add"} 1.0' in first.render().decode()
    assert "journal_redis_errors_total{" not in second.render().decode()
