"""Request ids and route templates for the access log."""

from __future__ import annotations

import os

from starlette.routing import Route

from journal.access import UNMATCHED_ROUTE, RequestIds, request_id_from, route_template


def test_a_safe_request_id_is_reused() -> None:
    assert request_id_from([(b"x-request-id", b"abc-123.XYZ_9")]) == b"abc-123.XYZ_9"


def test_an_unsafe_or_missing_request_id_is_replaced() -> None:
    unsafe = request_id_from([(b"x-request-id", b'evil"\n{"injected":1}')])
    missing = request_id_from([])
    too_long = request_id_from([(b"x-request-id", b"a" * 65)])

    assert len({unsafe, missing, too_long}) == 3
    assert all(len(made) == 32 and made.isalnum() for made in (unsafe, missing, too_long))


def test_fresh_ids_do_not_repeat_within_a_process_or_across_a_fork() -> None:
    ids = RequestIds()
    made = {ids() for _ in range(10_000)}
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # the child: what a forked process would hand out next
        os.write(write_end, ids().encode())
        os._exit(0)
    os.close(write_end)
    from_child = os.read(read_end, 64).decode()
    os.waitpid(child, 0)

    assert len(made) == 10_000
    assert all(len(one) == 32 and all(c in "0123456789abcdef" for c in one) for one in made)
    assert from_child not in made
    assert from_child[:16] != ids()[:16]  # the child drew a random half of its own


def test_route_template_uses_the_matched_route() -> None:
    async def endpoint() -> None: ...

    assert route_template({"route": Route("/api/{id}", endpoint)}) == "/api/{id}"
    assert route_template({}) == UNMATCHED_ROUTE
