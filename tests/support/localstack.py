"""Handles on the real local stack the tests share: ports, HTTP clients, Redis probes, logs, polling."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
import redis

from kbp.localrun import passwords, supervising
from kbp.localrun.options import StackOptions
from kbp.localrun.redisconf import PRIMARY, REPLICA

POLL_S = 0.05


def require_binaries(*names: str) -> None:
    missing = [name for name in names if shutil.which(name) is None]
    if missing:
        pytest.fail(f"required binaries not on PATH: {', '.join(missing)} (run `make system-deps`)")


def wait_until(condition: Callable[[], bool], *, timeout_s: float = 20.0, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(POLL_S)
    pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what}")


@dataclass(frozen=True)
class LocalStack:
    """Handles on the running stack for tests."""

    options: StackOptions

    @property
    def url(self) -> str:
        return self.options.url.rstrip("/")

    @property
    def password(self) -> str:
        return passwords.read_password(self.options.paths)

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10.0, **kwargs)  # type: ignore[arg-type]

    def redis(self, role: str) -> redis.Redis:
        port = self.options.ports.redis_primary if role == PRIMARY else self.options.ports.redis_replica
        return redis.Redis(host="127.0.0.1", port=port, password=self.password, socket_timeout=2.0)

    def states(self) -> dict[str, supervising.ProcessState]:
        return {state.name: state for state in supervising.process_states(self.options.paths)}

    def pid(self, program: str) -> int:
        """The running program's pid. supervisord says 0 for one that is not running, and a signal
        to pid 0 would go to the caller's whole process group: the pytest run and its make."""
        state = self.states()[program]
        assert state.pid > 0, f"{program} is not running: {state}"
        return state.pid

    def access_log(self) -> list[dict[str, object]]:
        """NGINX's JSON access log (flushed within a second; callers poll)."""
        path = self.options.paths.log("nginx-access")
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def wait_replica_synced(self) -> None:
        """Until the replica has applied everything the primary wrote."""

        def synced() -> bool:
            with self.redis(PRIMARY) as primary, self.redis(REPLICA) as replica:
                offset = primary.info("replication")["master_repl_offset"]
                info = replica.info("replication")
                return bool(info.get("master_link_status") == "up" and info["slave_repl_offset"] == offset)

        wait_until(synced, what="the replica to catch up")
