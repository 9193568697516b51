"""Concurrent writers through NGINX: spread over both API processes, and every write counted once."""

from __future__ import annotations

import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from support.localstack import LocalStack

WRITES = 200
CONNECTIONS = 32
_CREATED = re.compile(r"^journal_http_requests_total\{[^}]*\} ([0-9.e+]+)$", re.MULTILINE)


def created_count(port: int) -> float:
    """POST /api answered 201 by the API process on `port`, from its own /metrics."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    wanted = [line for line in text.splitlines() if line.startswith("journal_http_requests_total{")]
    total = 0.0
    for line in wanted:
        if 'method="POST"' in line and 'route="/api"' in line and 'status="201"' in line:
            match = _CREATED.match(line)
            assert match is not None, line
            total += float(match.group(1))
    return total


def test_concurrent_posts_spread_over_both_apis_and_none_is_lost(local_stack: LocalStack) -> None:
    api_ports = local_stack.options.ports.api
    before = [created_count(port) for port in api_ports]
    marker = uuid.uuid4().hex[:8]
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    with local_stack.client(limits=limits) as client:
        total_before = client.get("/api").json()["total"]
        with ThreadPoolExecutor(CONNECTIONS) as pool:
            responses = list(
                pool.map(lambda i: client.post("/api", json={"text": f"{marker} {i}"}), range(WRITES))
            )
        assert [r.status_code for r in responses] == [201] * WRITES, responses[0].text
        ids = {r.json()["id"] for r in responses}
        assert len(ids) == WRITES
        assert client.get("/api").json()["total"] == total_before + WRITES
        texts = {client.get(f"/api/{entry_id}").json()["text"] for entry_id in ids}
    assert texts == {f"{marker} {i}" for i in range(WRITES)}

    served = [created_count(port) - start for port, start in zip(api_ports, before, strict=True)]
    assert sum(served) == WRITES
    assert all(count > 0 for count in served), f"writes per API process: {served}"
