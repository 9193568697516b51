"""Request ids and route templates for the access log."""

from __future__ import annotations

from starlette.routing import Route

from journal.access import UNMATCHED_ROUTE, request_id_from, route_template


def test_a_safe_request_id_is_reused() -> None:
    assert request_id_from([(b"x-request-id", b"abc-123.XYZ_9")]) == b"abc-123.XYZ_9"


def test_an_unsafe_or_missing_request_id_is_replaced() -> None:
    unsafe = request_id_from([(b"x-request-id", b'evil"\n{"injected":1}')])
    missing = request_id_from([])
    too_long = request_id_from([(b"x-request-id", b"a" * 65)])

    assert len({unsafe, missing, too_long}) == 3
    assert all(len(made) == 32 and made.isalnum() for made in (unsafe, missing, too_long))


def test_route_template_uses_the_matched_route() -> None:
    async def endpoint() -> None: ...

    assert route_template({"route": Route("/api/{id}", endpoint)}) == "/api/{id}"
    assert route_template({}) == UNMATCHED_ROUTE
