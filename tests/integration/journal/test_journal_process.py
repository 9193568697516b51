"""`python -m journal` as a real process: graceful SIGTERM, JSON logs, no secrets anywhere."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from kbp.ports import free_ports
from support.journal import JournalProcess, journal_env, running_journal
from support.redis import RedisPair, kill

POLL_S = 0.05


def wait_until(condition: Callable[[], bool], *, what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(POLL_S)


def events_named(journal: JournalProcess, name: str) -> list[dict[str, object]]:
    return [event for event in journal.log_events() if event.get("event") == name]


def posts_started(journal: JournalProcess) -> list[dict[str, object]]:
    return [event for event in events_named(journal, "request_started") if event["method"] == "POST"]


def test_sigterm_finishes_in_flight_writes(fresh_redis_pair: RedisPair, tmp_path: Path) -> None:
    pair, count = fresh_redis_pair, 8
    env = journal_env(
        pair, port=free_ports(1)[0], config_dir=tmp_path, log_level="debug", redis_timeout_s="30"
    )
    with running_journal(env, tmp_path) as journal, ThreadPoolExecutor(count) as pool:
        primary = pair.primary.client()
        primary.client_pause(30_000, all=False)  # WRITE mode: the add scripts wait in Redis
        try:
            posts = [
                pool.submit(httpx.post, journal.url + "/api", json={"text": f"in flight {n}"}, timeout=60)
                for n in range(count)
            ]
            wait_until(lambda: len(posts_started(journal)) == count, what="requests in flight")
            # To the process only, as the kubelet and supervisord send it.
            os.kill(journal.process.pid, signal.SIGTERM)
            wait_until(lambda: bool(events_named(journal, "shutting_down")), what="the shutdown to begin")
            # The writes are still held in Redis: the server must be waiting for them, not gone.
            still_running = journal.process.poll() is None
        finally:
            primary.client_unpause()
        responses = [post.result() for post in posts]
        journal.process.wait(timeout=30)

    assert still_running
    assert [response.status_code for response in responses] == [201] * count
    # The process exits 0 once the requests in flight were answered and the app shut down.
    assert journal.process.returncode == 0
    stored = primary.hgetall("journal:entries")
    assert {str(response.json()["id"]).encode() for response in responses} == set(stored)
    log = journal.log_text()
    assert log.index('"event":"shutting_down"') < log.rindex('"status":201')


def test_logs_are_json_lines_without_the_password(fresh_redis_pair: RedisPair, tmp_path: Path) -> None:
    pair = fresh_redis_pair
    env = journal_env(pair, port=free_ports(1)[0], config_dir=tmp_path)
    with running_journal(env, tmp_path) as journal:
        created = httpx.post(journal.url + "/api", json={"text": "hello"})
        httpx.post(journal.url + "/api", content=b"{not json", headers={"Content-Type": "application/json"})
        kill(pair.primary)
        refused = httpx.post(journal.url + "/api", json={"text": "during the outage"})
        read_only = httpx.get(journal.url + "/readyz")
        cmdline = Path(f"/proc/{journal.process.pid}/cmdline").read_bytes()

    assert (created.status_code, refused.status_code, read_only.status_code) == (201, 503, 200)
    assert pair.password.encode() not in cmdline
    assert pair.password not in journal.log_text()
    events = journal.log_events()  # every line parses as JSON
    requests = [event for event in events if event.get("event") == "request"]
    assert [(event["method"], event["route"], event["status"]) for event in requests] == [
        ("GET", "/healthz", 200),
        ("POST", "/api", 201),
        ("POST", "/api", 400),
        ("POST", "/api", 503),
        ("GET", "/readyz", 200),
    ]
    assert all({"request_id", "duration_ms", "timestamp", "level"} <= set(event) for event in requests)
    assert any(event.get("event") == "redis_error" for event in events)
    started = events_named(journal, "starting")[0]["config"]
    assert isinstance(started, dict)
    assert started["redis_auth"] is True


def test_a_wrong_password_is_refused_without_being_echoed(redis_pair: RedisPair, tmp_path: Path) -> None:
    wrong = "not-the-password-5f2c1e"
    password_file = tmp_path / "passwd"
    password_file.write_text(wrong)
    env = journal_env(
        redis_pair, port=free_ports(1)[0], config_dir=tmp_path, redis_password_file=str(password_file)
    )
    with running_journal(env, tmp_path) as journal:
        listed = httpx.get(journal.url + "/api")
        ready = httpx.get(journal.url + "/readyz")

    assert (listed.status_code, ready.status_code) == (503, 503)
    assert listed.json() == {"detail": "storage unavailable: reads are temporarily refused"}
    assert wrong not in journal.log_text()
    assert "WRONGPASS" in journal.log_text()


def test_settings_come_from_the_config_dir_and_env_wins(redis_pair: RedisPair, tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "entries").write_text("3\n")
    (config_dir / "max_body_bytes").write_text("100")
    env = journal_env(redis_pair, port=free_ports(1)[0], config_dir=config_dir, max_body_bytes="200")
    with running_journal(env, tmp_path) as journal:
        page = httpx.get(journal.url + "/api").json()
        too_large = httpx.post(journal.url + "/api", json={"text": "x" * 190})

    assert page["page_size"] == 3
    assert too_large.status_code == 413
    assert too_large.json()["detail"] == "request body is larger than 200 bytes"
