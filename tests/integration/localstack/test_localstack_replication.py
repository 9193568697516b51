"""Reads are served by the replica; with the primary killed, reads go on and writes get a clear 503."""

from __future__ import annotations

import os
import signal

from kbp.localrun import supervising
from kbp.localrun.redisconf import PRIMARY, REPLICA
from support.localstack import LocalStack, wait_until

# Commands that are not the journal reading or writing data (probes, replication, connection set-up).
_ADMIN = frozenset(
    {"ping", "info", "auth", "replconf", "client", "hello", "select", "psync", "sync", "command"}
)
_ADMIN |= frozenset({"config", "script", "role", "slowlog", "debug"})
READS = 40


def data_calls(role: str, local_stack: LocalStack) -> int:
    """Calls of data commands, from INFO commandstats (`cmdstat_zrevrange: {"calls": 12, ...}`)."""
    with local_stack.redis(role) as client:
        stats = client.info("commandstats")
    calls = {key.removeprefix("cmdstat_"): int(value["calls"]) for key, value in stats.items()}
    return sum(count for name, count in calls.items() if name.split("|")[0] not in _ADMIN)


def test_reads_are_served_by_the_replica(local_stack: LocalStack) -> None:
    with local_stack.client() as client:
        entry = client.post("/api", json={"text": "read me from the replica"}).json()
        local_stack.wait_replica_synced()
        primary_before = data_calls(PRIMARY, local_stack)
        replica_before = data_calls(REPLICA, local_stack)
        for _ in range(READS):
            assert client.get("/api").status_code == 200
            assert client.get(f"/api/{entry['id']}").status_code == 200
    assert data_calls(REPLICA, local_stack) - replica_before >= 2 * READS
    assert data_calls(PRIMARY, local_stack) - primary_before == 0


def test_killed_primary_keeps_reads_and_refuses_writes_with_503(local_stack: LocalStack) -> None:
    paths = local_stack.options.paths
    with local_stack.client() as client:
        entry = client.post("/api", json={"text": "written before the primary died"}).json()
        local_stack.wait_replica_synced()
        before = local_stack.states()
        os.kill(local_stack.pid(PRIMARY), signal.SIGKILL)
        wait_until(lambda: local_stack.states()[PRIMARY].state != "RUNNING", what="the primary to be gone")
        try:
            for _ in range(5):
                page = client.get("/api")
                assert page.status_code == 200
                assert entry["id"] in [item["id"] for item in page.json()["items"]]
                assert client.get(f"/api/{entry['id']}").json() == entry
            refused = client.post("/api", json={"text": "no primary"})
            assert refused.status_code == 503
            assert refused.headers["content-type"] == "application/json"
            assert refused.json()["detail"]
            assert client.delete(f"/api/{entry['id']}").status_code == 503
            after = local_stack.states()
            for name in ("api-1", "api-2", "nginx", REPLICA):
                assert after[name].state == "RUNNING"
                assert after[name].pid == before[name].pid, f"{name} restarted"
        finally:
            supervising.start_program(paths, PRIMARY)

        def writable() -> bool:
            return client.post("/api", json={"text": "primary is back"}).status_code == 201

        wait_until(writable, timeout_s=30, what="writes to work again")
        # Persistence: the primary came back with its data, so the replica did not resync to empty.
        local_stack.wait_replica_synced()
        assert client.get(f"/api/{entry['id']}").json() == entry
