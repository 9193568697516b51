"""Three real Redis Sentinels (`redis-server --sentinel`) watching a test primary.

Debian ships `redis-sentinel` as a link to `redis-server`; `--sentinel` is the same program. Each
sentinel gets its own directory and a config file it may rewrite, runs in its own process group,
and is ready when it knows the primary, its replicas and the two other sentinels (they find each
other through the primary's hello channel, every 2 s). down-after is 1 s: failover starts about a
second after the primary stops answering.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from kbp.ports import free_ports
from support.processes import stop_group
from support.redis import RedisLaunchError, redis_binary

MASTER = "journal"
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 5000
READY_TIMEOUT_S = 30.0


@dataclass
class Sentinel:
    port: int
    directory: Path
    process: subprocess.Popen[bytes]

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2.0, decode_responses=True)

    def primary(self) -> tuple[str, int] | None:
        try:
            reply = self.client().sentinel_get_master_addr_by_name(MASTER, return_responses=True)
        except redis.RedisError:
            return None
        if not isinstance(reply, tuple):
            return None
        host, port = reply
        return (str(host), int(port))

    def log_tail(self) -> str:
        try:
            return "\n".join((self.directory / "sentinel.log").read_text(errors="replace").splitlines()[-20:])
        except OSError:
            return "(no log)"


def config_text(port: int, directory: Path, primary_port: int, password: str) -> str:
    return "\n".join(
        [
            "bind 127.0.0.1",
            f"port {port}",
            f'dir "{directory}"',
            'logfile ""',
            "daemonize no",
            f"sentinel monitor {MASTER} 127.0.0.1 {primary_port} 2",
            f'sentinel auth-pass {MASTER} "{password}"',
            f"sentinel down-after-milliseconds {MASTER} {DOWN_AFTER_MS}",
            f"sentinel failover-timeout {MASTER} {FAILOVER_TIMEOUT_MS}",
            f"sentinel parallel-syncs {MASTER} 1",
            "",
        ]
    )


def _ready(sentinel: Sentinel, replicas: int) -> bool:
    try:
        client = sentinel.client()
        others = client.sentinel_sentinels(MASTER, return_responses=True)
        known = client.sentinel_slaves(MASTER)
    except redis.RedisError:
        return False
    return (
        isinstance(others, list) and isinstance(known, list) and len(others) >= 2 and len(known) >= replicas
    )


@contextmanager
def sentinels(
    directory: Path, primary_port: int, password: str, *, replicas: int, count: int = 3
) -> Iterator[list[Sentinel]]:
    """Start `count` sentinels on free ports; wait until they know each other and the replicas."""
    started: list[Sentinel] = []
    try:
        for index, port in enumerate(free_ports(count)):
            home = directory / f"sentinel-{index}"
            home.mkdir(parents=True)
            conf = home / "sentinel.conf"
            conf.write_text(config_text(port, home, primary_port, password))
            conf.chmod(0o600)
            with (home / "sentinel.log").open("wb") as log:
                process = subprocess.Popen(
                    [redis_binary(), str(conf), "--sentinel"],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            started.append(Sentinel(port, home, process))
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not all(_ready(sentinel, replicas) for sentinel in started):
            for sentinel in started:
                if sentinel.process.poll() is not None:
                    raise RedisLaunchError(f"sentinel on {sentinel.port} exited:\n{sentinel.log_tail()}")
            if time.monotonic() > deadline:
                raise RedisLaunchError(f"sentinels never found each other:\n{started[0].log_tail()}")
            time.sleep(0.1)
        yield started
    finally:
        for sentinel in reversed(started):
            stop_group(sentinel.process, 10.0)


def addresses(started: list[Sentinel]) -> str:
    """JOURNAL_SENTINEL_ADDRESSES for these sentinels."""
    return ",".join(f"127.0.0.1:{sentinel.port}" for sentinel in started)
