"""Real redis-server processes for tests: a primary and a replica on free loopback ports.

Each server runs from a config file in its own temporary directory (the password stays out of
argv), in its own process group, logging to a file whose tail is shown if start-up fails.
Readiness is a real PING (and, for a replica, `master_link_status:up`); stopping sends SIGTERM,
waits, then SIGKILLs, and only ever signals the processes started here. A missing redis-server
raises: these tests never skip.
"""

from __future__ import annotations

import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from kbp.ports import free_ports
from support.processes import signal_group, stop_group
from support.tlscerts import TlsFiles

POLL_S = 0.02
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0


class RedisLaunchError(RuntimeError):
    """redis-server is missing, exited, or never became ready."""


@dataclass(frozen=True)
class ServerSpec:
    """What to start: data, not behaviour (the kwok pattern)."""

    name: str
    port: int
    directory: Path
    password: str
    replica_of: int | None = None  # the primary's port, on loopback
    tls: TlsFiles | None = None  # serve TLS only, on `port`


@dataclass
class RedisServer:
    spec: ServerSpec
    process: subprocess.Popen[bytes]

    @property
    def port(self) -> int:
        return self.spec.port

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.spec.port}/0"

    @property
    def log_path(self) -> Path:
        return self.spec.directory / "redis.log"

    def client(self, *, timeout_s: float = 5.0) -> redis.Redis:
        tls = self.spec.tls
        return redis.Redis(
            host="127.0.0.1",
            port=self.spec.port,
            password=self.spec.password,
            socket_timeout=timeout_s,
            ssl=tls is not None,
            ssl_ca_certs=str(tls.ca) if tls is not None else None,
        )

    def is_running(self) -> bool:
        return self.process.poll() is None


def config_text(spec: ServerSpec) -> str:
    """redis.conf for one test server: loopback only, auth on both sides, AOF on, no RDB snapshots."""
    lines = [
        "bind 127.0.0.1",
        f"port {spec.port}",
        f'dir "{spec.directory}"',
        'logfile ""',
        f'requirepass "{spec.password}"',
        f'masterauth "{spec.password}"',
        "appendonly yes",
        'save ""',
        "daemonize no",
        "protected-mode yes",
        "repl-diskless-sync-delay 0",  # a replica syncs at once, not after 5 s
        "shutdown-timeout 1",  # tests stop replicas first; do not wait 10 s for them
    ]
    if spec.replica_of is not None:
        lines.append(f"replicaof 127.0.0.1 {spec.replica_of}")
    if spec.tls is not None:
        lines[1] = "port 0"  # no plain-text port at all
        lines += [
            f"tls-port {spec.port}",
            f'tls-cert-file "{spec.tls.cert}"',
            f'tls-key-file "{spec.tls.key}"',
            f'tls-ca-cert-file "{spec.tls.ca}"',
            "tls-auth-clients no",
        ]
    return "\n".join(lines) + "\n"


def redis_binary() -> str:
    path = shutil.which("redis-server")
    if path is None:
        raise RedisLaunchError(
            "redis-server is not on PATH (install Debian's redis-server: make system-deps)"
        )
    return path


def wait_for(condition: Callable[[], bool], *, timeout_s: float, what: str, server: RedisServer) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not server.is_running():
            raise RedisLaunchError(f"{server.spec.name} exited while {what}:\n{log_tail(server)}")
        if condition():
            return
        time.sleep(POLL_S)
    raise RedisLaunchError(
        f"{server.spec.name}: timed out after {timeout_s:.0f}s {what}:\n{log_tail(server)}"
    )


def log_tail(server: RedisServer, lines: int = 20) -> str:
    try:
        return "\n".join(server.log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def answers_ping(server: RedisServer) -> bool:
    # Closed at once: a client left to the collector after a refused connect leaks its socket.
    try:
        with server.client(timeout_s=1.0) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def is_linked(replica: RedisServer) -> bool:
    try:
        with replica.client(timeout_s=1.0) as client:
            info = client.info("replication")
    except redis.RedisError:
        return False
    return bool(info.get("master_link_status") == "up")


def start(spec: ServerSpec) -> RedisServer:
    """Start one server and wait until it answers (and, for a replica, has synced)."""
    spec.directory.mkdir(parents=True, exist_ok=True)
    conf = spec.directory / "redis.conf"
    conf.write_text(config_text(spec))
    conf.chmod(0o600)
    with (spec.directory / "redis.log").open("wb") as log:
        process = subprocess.Popen(
            [redis_binary(), str(conf)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = RedisServer(spec, process)
    try:
        wait_for(lambda: answers_ping(server), timeout_s=START_TIMEOUT_S, what="starting", server=server)
        if spec.replica_of is not None:
            wait_for(lambda: is_linked(server), timeout_s=START_TIMEOUT_S, what="syncing", server=server)
    except RedisLaunchError:
        stop(server)
        raise
    return server


def stop(server: RedisServer, timeout_s: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM the server's process group, wait, then SIGKILL; only this server's pid is signalled."""
    signal_group(server.process, signal.SIGCONT)  # a paused server would sleep through SIGTERM
    stop_group(server.process, timeout_s, repeat_term_s=0.5)


def kill(server: RedisServer) -> None:
    """SIGKILL at once, as a crashed pod would die."""
    if server.process.poll() is None:
        signal_group(server.process, signal.SIGKILL)
        server.process.wait(timeout=STOP_TIMEOUT_S)


def pause(server: RedisServer) -> None:
    """SIGSTOP: the server keeps its sockets but answers nothing (a frozen VM, a long GC pause)."""
    signal_group(server.process, signal.SIGSTOP)


def resume(server: RedisServer) -> None:
    signal_group(server.process, signal.SIGCONT)


@contextmanager
def paused(server: RedisServer) -> Iterator[None]:
    """Frozen for the block; always woken again, so teardown can stop it."""
    pause(server)
    try:
        yield
    finally:
        resume(server)


@dataclass
class RedisPair:
    primary: RedisServer
    replica: RedisServer
    password: str
    password_file: Path

    def restart_primary(self) -> None:
        """Start the primary again on the same port and data directory; wait for the replica to relink."""
        self.primary = start(self.primary.spec)
        wait_for(
            lambda: is_linked(self.replica), timeout_s=START_TIMEOUT_S, what="relinking", server=self.replica
        )

    def restart_replica(self) -> None:
        self.replica = start(self.replica.spec)

    def wait_replicated(self, timeout_s: float = 10.0) -> None:
        """Until the replica has applied everything the primary has written so far."""
        with self.primary.client() as primary:
            offset = primary.info("replication")["master_repl_offset"]

        def caught_up() -> bool:
            with self.replica.client() as replica:
                info = replica.info("replication")
            return int(info.get("slave_repl_offset", -1)) >= int(offset)

        wait_for(caught_up, timeout_s=timeout_s, what="catching up", server=self.replica)


def start_on_free_port(
    name: str, directory: Path, password: str, replica_of: int | None = None
) -> RedisServer:
    """Start on a port that was free a moment ago; another test run may take it first, so retry."""
    for attempt in range(3):
        try:
            return start(ServerSpec(name, free_ports(1)[0], directory, password, replica_of))
        except RedisLaunchError as err:
            if attempt == 2 or "Address already in use" not in str(err):
                raise
    raise AssertionError("unreachable")


@contextmanager
def replicated_pair(directory: Path) -> Iterator[RedisPair]:
    """A primary and a replica with requirepass/masterauth and AOF; stopped in reverse order."""
    password = secrets.token_urlsafe(24)
    password_file = directory / "passwd"
    password_file.write_text(password + "\n")
    password_file.chmod(0o600)
    primary = start_on_free_port("redis-primary", directory / "primary", password)
    errors: list[BaseException] = []
    try:
        replica = start_on_free_port("redis-replica", directory / "replica", password, primary.port)
    except RedisLaunchError:
        stop(primary)
        raise
    pair = RedisPair(primary, replica, password, password_file)
    try:
        yield pair
    finally:
        for server in (pair.replica, pair.primary):
            try:
                stop(server)
            except (OSError, subprocess.SubprocessError) as err:
                errors.append(err)
        if errors:
            raise RedisLaunchError(f"stopping redis failed: {errors}")


def caught_up(primary: RedisServer, replica: RedisServer, timeout_s: float = 10.0) -> None:
    """Until `replica` (direct or chained: sub-replicas share the primary's offsets) has applied
    everything `primary` has written so far."""
    with primary.client() as client:
        offset = int(client.info("replication")["master_repl_offset"])

    def applied() -> bool:
        with replica.client() as client:
            return int(client.info("replication").get("slave_repl_offset", -1)) >= offset

    wait_for(applied, timeout_s=timeout_s, what="catching up", server=replica)


@dataclass
class ReplicaSet:
    """A primary, `current` replicas of it, and one `lagging` replica that follows it through a
    `relay` (a chained replica, outside any Service): pausing the relay makes `lagging` fall behind
    while it still answers reads, as a replica with a slow link does."""

    primary: RedisServer
    relay: RedisServer
    lagging: RedisServer
    current: list[RedisServer]
    password: str
    password_file: Path

    @property
    def replicas(self) -> list[RedisServer]:
        """The servers a read Service spreads over: the lagging one first."""
        return [self.lagging, *self.current]

    def pair(self, replica: RedisServer) -> RedisPair:
        return RedisPair(self.primary, replica, self.password, self.password_file)

    def all_caught_up(self) -> None:
        for server in (self.relay, *self.replicas):
            caught_up(self.primary, server)


@contextmanager
def replica_set(directory: Path, replicas: int) -> Iterator[ReplicaSet]:
    """`replicas` readable replicas (one of them lagging on demand); stopped replicas first."""
    if replicas < 2:
        raise ValueError("a replica set needs a lagging replica and at least one current one")
    password = secrets.token_urlsafe(24)
    password_file = directory / "passwd"
    password_file.write_text(password + "\n")
    password_file.chmod(0o600)
    started: list[RedisServer] = []
    try:
        primary = start_on_free_port("redis-primary", directory / "primary", password)
        started.append(primary)
        relay = start_on_free_port("redis-relay", directory / "relay", password, primary.port)
        started.append(relay)
        lagging = start_on_free_port("redis-lagging", directory / "lagging", password, relay.port)
        started.append(lagging)
        current = []
        for index in range(replicas - 1):
            server = start_on_free_port(
                f"redis-replica-{index}", directory / f"replica-{index}", password, primary.port
            )
            started.append(server)
            current.append(server)
        yield ReplicaSet(primary, relay, lagging, current, password, password_file)
    finally:
        for server in reversed(started):
            stop(server)
