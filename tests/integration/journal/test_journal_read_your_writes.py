"""Read-your-writes across two real API processes, with the replica they read from lagging.

Topology (real redis-server processes): the primary has two replicas, `acker` (confirms writes)
and `relay`; the `reader` replica, the one the API processes read from, replicates from `relay`.
Freezing `relay` with SIGSTOP leaves `reader` answering, but with old data: a lagging replica.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from kbp.ports import free_ports
from support.journal import JournalProcess, journal_env, running_journal
from support.redis import RedisPair, RedisServer, paused, start_on_free_port, stop


@dataclass
class LaggingTopology:
    pair: RedisPair  # primary and the replica the API reads from (`reader`)
    relay: RedisServer


@pytest.fixture
def lagging(tmp_path: Path) -> Iterator[LaggingTopology]:
    password = secrets.token_urlsafe(24)
    password_file = tmp_path / "passwd"
    password_file.write_text(password + "\n")
    password_file.chmod(0o600)
    started: list[RedisServer] = []
    try:
        primary = start_on_free_port("redis-primary", tmp_path / "primary", password)
        started.append(primary)
        started.append(start_on_free_port("redis-acker", tmp_path / "acker", password, primary.port))
        relay = start_on_free_port("redis-relay", tmp_path / "relay", password, primary.port)
        started.append(relay)
        reader = start_on_free_port("redis-reader", tmp_path / "reader", password, relay.port)
        started.append(reader)
        yield LaggingTopology(RedisPair(primary, reader, password, password_file), relay)
    finally:
        for server in reversed(started):
            stop(server)


@pytest.fixture
def two_apis(lagging: LaggingTopology, tmp_path: Path) -> Iterator[tuple[JournalProcess, JournalProcess]]:
    first_port, second_port = free_ports(2)
    with (
        running_journal(
            journal_env(lagging.pair, port=first_port, config_dir=tmp_path), tmp_path / "1"
        ) as one,
        running_journal(
            journal_env(lagging.pair, port=second_port, config_dir=tmp_path), tmp_path / "2"
        ) as two,
    ):
        yield one, two


@pytest.fixture(autouse=True)
def _directories(tmp_path: Path) -> None:
    (tmp_path / "1").mkdir()
    (tmp_path / "2").mkdir()


def test_a_client_sees_its_write_on_the_other_process(
    lagging: LaggingTopology, two_apis: tuple[JournalProcess, JournalProcess]
) -> None:
    writer, other = two_apis
    with paused(lagging.relay):
        created = httpx.post(writer.url + "/api", json={"text": "posted on one, read on the other"})
        token = created.headers["journal-version"]
        entry = created.json()

        without_token = httpx.get(other.url + "/api").json()
        page = httpx.get(other.url + "/api", headers={"Journal-Version": token})
        fetched = httpx.get(f"{other.url}/api/{entry['id']}", headers={"Journal-Version": token})
        metrics = httpx.get(other.url + "/metrics").text

    assert created.status_code == 201  # the other replica confirmed it
    assert without_token["total"] == 0  # the reader really lags: what a client without a token sees
    assert page.status_code == 200
    assert page.json()["items"] == [entry]
    assert int(page.headers["journal-version"]) >= int(token)
    assert fetched.json() == entry
    assert 'journal_read_fallbacks_total{reason="replica_stale"} 2.0' in metrics


def test_a_token_older_than_the_replica_keeps_reads_on_the_replica(
    lagging: LaggingTopology, two_apis: tuple[JournalProcess, JournalProcess]
) -> None:
    writer, other = two_apis
    token = httpx.post(writer.url + "/api", json={"text": "replicated"}).headers["journal-version"]
    lagging.pair.wait_replicated()  # a chained replica shares the primary's offsets

    page = httpx.get(other.url + "/api", headers={"Journal-Version": token})
    metrics = httpx.get(other.url + "/metrics").text

    assert page.json()["total"] == 1
    assert "journal_read_fallbacks_total{" not in metrics
