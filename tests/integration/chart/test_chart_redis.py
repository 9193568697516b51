"""The chart's own launch script, redis.conf and probe, taken from `helm template` output, run real
redis-server processes: a primary and an authenticated replica that replicates, and probes that
keep passing on the replica while the primary is down (that one on Debian's Redis and on Valkey 9,
the chart's default; support/servers.py). The pods' DNS names map to loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from kbp.ports import free_ports
from support.charts import Helm, one
from support.processes import signal_group, stop_group
from support.servers import SERVERS, path_for

pytestmark = pytest.mark.helm
# Quotes, a backslash, a dollar and spaces: the launch script must quote it for redis.conf.
PASSWORD = 'p"a\\ss $word `x` ok'


@dataclass(frozen=True)
class Node:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, password: str | None = PASSWORD) -> redis.Redis:
        return redis.Redis(port=self.port, password=password, socket_timeout=2, decode_responses=True)


@pytest.fixture(scope="module")
def rendered(helm: Helm, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, str]]]:
    """The chart's Redis files written out as the ConfigMap holds them, and each role's env."""
    objects = helm.template()
    files = tmp_path_factory.mktemp("chart-redis")
    for name, text in one(objects, "ConfigMap", "journal-redis")["data"].items():
        (files / name).write_text(text)
    envs = {}
    for role, sts in (("primary", "journal-redis"), ("replica", "journal-redis-replica")):
        container = one(objects, "StatefulSet", sts)["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["sh", "/opt/journal-redis/launch.sh"]
        envs[role] = {e["name"]: e["value"] for e in container["env"]}
    return files, envs


def wait_until(check: Callable[[], bool], what: str, node: Node, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except redis.RedisError:
            pass
        if node.process.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen; log:\n{node.log.read_text()[-2000:]}")


@contextmanager
def nodes(
    rendered: tuple[Path, dict[str, dict[str, str]]], tmp: Path, server: str = "redis"
) -> Iterator[tuple[Node, Node]]:
    files, envs = rendered
    password_file = tmp / "passwd"
    password_file.write_text(PASSWORD + "\n")
    primary_port, replica_port = free_ports(2)
    path = path_for(server, tmp)
    started: list[Node] = []
    with ExitStack() as stack:
        for role, port in (("primary", primary_port), ("replica", replica_port)):
            env = dict(envs[role])
            # Volumes and the pod DNS name, mapped onto this machine.
            assert env["REDIS_PRIMARY_HOST"] == "journal-redis-0.journal-redis-headless.journal.svc"
            env.update(
                REDIS_PRIMARY_HOST="127.0.0.1",
                REDIS_PRIMARY_PORT=str(primary_port),
                REDIS_PORT=str(port),
                REDIS_BIND="127.0.0.1",
                REDIS_CONF=str(files / "redis.conf"),
                REDIS_DATA_DIR=str(tmp / role),
                REDIS_RUN_DIR=str(tmp / f"run-{role}"),
                REDIS_PASSWORD_FILE=str(password_file),
            )
            (tmp / role).mkdir()
            log = tmp / f"{role}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    ["sh", str(files / "launch.sh")],
                    env={"PATH": path, **env},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            node = Node(port, process, log)
            stack.callback(stop_group, process, 10.0, repeat_term_s=0.5)
            started.append(node)
        # The server the scripts chose is the one asked for (Valkey also reports a redis_version).
        for node in started:
            wait_until(lambda node=node: bool(node.client().ping()), "PONG", node)  # type: ignore[misc]
            assert ("valkey_version" in node.client().info("server")) == (server == "valkey")
        yield started[0], started[1]


def probe(
    files: Path, node: Node, password_file: Path, *mode: str, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": path or os.environ["PATH"],
        "REDIS_PORT": str(node.port),
        "REDIS_PASSWORD_FILE": str(password_file),
    }
    return subprocess.run(
        ["sh", str(files / "probe.sh"), *mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )


def test_primary_and_authenticated_replica_replicate(rendered: Any, tmp_path: Path) -> None:
    # On Redis only: the probe test below replicates with the same password on both servers.
    with nodes(rendered, tmp_path) as (primary, replica):
        wait_until(lambda: primary.client().ping(), "primary PONG", primary)
        wait_until(
            lambda: replica.client().info("replication")["master_link_status"] == "up", "link up", replica
        )
        # Auth on every node, with the hostile password read from the file.
        for node in (primary, replica):
            with pytest.raises(redis.AuthenticationError):
                node.client(password=None).get("x")
            with pytest.raises(redis.AuthenticationError):
                node.client(password="wrong").ping()
        assert primary.client().config_get("appendonly") == {"appendonly": "yes"}
        primary.client().set("entry", "hello")
        wait_until(lambda: replica.client().get("entry") == "hello", "replication of a write", replica)
        with pytest.raises(redis.ReadOnlyError):
            replica.client().set("entry", "nope")
        # The password is in neither process's argv.
        for node in (primary, replica):
            cmdline = Path(f"/proc/{node.process.pid}/cmdline").read_bytes().decode()
            assert "word" not in cmdline
            auth = Path(tmp_path / f"run-{'primary' if node is primary else 'replica'}" / "auth.conf")
            assert auth.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("server", SERVERS)
def test_replica_probes_pass_while_the_primary_is_down(rendered: Any, tmp_path: Path, server: str) -> None:
    files, _ = rendered
    with nodes(rendered, tmp_path, server) as (primary, replica):
        wait_until(
            lambda: replica.client().info("replication")["master_link_status"] == "up", "link up", replica
        )
        assert probe(files, primary, tmp_path / "passwd").returncode == 0
        signal_group(primary.process, signal.SIGKILL)
        primary.process.wait(timeout=10)
        wait_until(
            lambda: replica.client().info("replication")["master_link_status"] == "down", "link down", replica
        )
        result = probe(files, replica, tmp_path / "passwd")
        assert result.returncode == 0, result.stderr
        assert probe(files, primary, tmp_path / "passwd").returncode != 0


def test_the_probe_gives_the_password_to_no_argv_and_no_environment(rendered: Any, tmp_path: Path) -> None:
    """A probe runs every few seconds in every pod: its CLI must not carry the password where `ps`
    or /proc/<pid>/environ show it. A redis-cli in front of the real one records what it got."""
    files, _ = rendered
    real = subprocess.run(["sh", "-c", "command -v redis-cli"], capture_output=True, text=True, check=True)
    shim = tmp_path / "shim"
    shim.mkdir()
    seen = tmp_path / "seen"
    (shim / "redis-cli").write_text(
        f'#!/bin/sh\n{{ printf "%s\\n" "$@"; env; }} >>{seen}\nexec {real.stdout.strip()} "$@"\n'
    )
    (shim / "redis-cli").chmod(0o755)
    with nodes(rendered, tmp_path) as (primary, replica):
        wait_until(
            lambda: replica.client().info("replication")["master_link_status"] == "up", "link up", replica
        )
        for node in (primary, replica):
            result = probe(files, node, tmp_path / "passwd", path=f"{shim}:{os.environ['PATH']}")
            assert result.returncode == 0, result.stderr
    recorded = seen.read_text()
    assert "ping" in recorded  # the shim saw the probe's calls
    assert "replication" in recorded
    assert PASSWORD not in recorded


@contextmanager
def bare_redis(args: list[str], log: Path) -> Iterator[Node]:
    """redis-server with these arguments, in its own process group, always stopped."""
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield Node(int(args[args.index("--port") + 1]), process, log)
    finally:
        stop_group(process, 10.0, repeat_term_s=0.5)


def test_liveness_tolerates_loading_and_readiness_does_not(rendered: Any, tmp_path: Path) -> None:
    """A node loading a large data set answers LOADING: alive (no restart loop), not ready."""
    files, _ = rendered
    password_file = tmp_path / "passwd"
    password_file.write_text(PASSWORD + "\n")
    [port] = free_ports(1)
    base = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path)]
    base += ["--save", "", "--appendonly", "no", "--requirepass", PASSWORD]
    with bare_redis(base, tmp_path / "fill.log") as node:
        wait_until(lambda: bool(node.client().ping()), "redis answers", node)
        pipe = node.client().pipeline(transaction=False)
        for i in range(20_000):
            pipe.set(f"k{i}", "v")
        pipe.execute()
        node.client().save()
    # key-load-delay (microseconds per key) and small event intervals: loading lasts seconds and
    # the server answers meanwhile, as it does while loading a large AOF.
    slow = ["--key-load-delay", "500", "--loading-process-events-interval-bytes", "1024"]
    with bare_redis(base + slow, tmp_path / "load.log") as loading:
        ready: list[subprocess.CompletedProcess[str]] = []

        def answers_loading() -> bool:
            ready.append(probe(files, loading, password_file))
            return "LOADING" in ready[-1].stderr

        wait_until(answers_loading, "a LOADING answer", loading)
        assert ready[-1].returncode != 0, "readiness passed while loading"
        live = probe(files, loading, password_file, "live")
        assert live.returncode == 0, live.stderr
        assert "LOADING" in probe(files, loading, password_file).stderr, "loading ended too soon to tell"


def test_a_replica_that_has_not_synced_since_it_started_is_not_ready(rendered: Any, tmp_path: Path) -> None:
    """Ready before its first sync, a replica would serve no data and fail every write's WAIT."""
    files, _ = rendered
    password_file = tmp_path / "passwd"
    password_file.write_text(PASSWORD + "\n")
    port, nobody = free_ports(2)
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path)]
    args += ["--save", "", "--appendonly", "no", "--requirepass", PASSWORD]
    args += ["--replicaof", "127.0.0.1", str(nobody)]  # a primary that is not there
    with bare_redis(args, tmp_path / "replica.log") as replica:
        wait_until(lambda: bool(replica.client().ping()), "redis answers", replica)
        ready = probe(files, replica, password_file)
        assert ready.returncode == 1
        assert "not yet synced" in ready.stderr
        live = probe(files, replica, password_file, "live")
        assert live.returncode == 0, live.stderr


def test_launch_refuses_an_unknown_role(rendered: Any, tmp_path: Path) -> None:
    files, envs = rendered
    (tmp_path / "passwd").write_text(PASSWORD)
    env = {**envs["primary"], "REDIS_ROLE": "sentinel", "REDIS_PASSWORD_FILE": str(tmp_path / "passwd")}
    result = subprocess.run(
        ["sh", str(files / "launch.sh")],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "REDIS_ROLE is 'sentinel', expected primary or replica" in result.stderr
