"""The chart's Sentinel mode with its own files, taken from `helm template` output: three
sentinels (sentinel.sh) and two Redis nodes (launch.sh) on loopback. SIGKILL the primary: the
sentinels promote the replica, and the old primary, started again by the same launch.sh, asks
them who the primary is and rejoins as its replica instead of making a second primary."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
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
PASSWORD = 'se"n\\tinel $pass `x`'
MASTER = "journal"
# The chart's defaults are for a network; on loopback 3 s notices a dead primary quickly. 1 s was
# too tight for a loaded CI (load ~20 on 2 cores): a restarted old primary once reported itself a
# master, most likely promoted by a second failover after the new primary missed 1 s of pings.
DOWN_AFTER_MS = "3000"
FAILOVER_TIMEOUT_MS = "5000"

Rendered = tuple[Path, dict[str, dict[str, str]]]


@dataclass(frozen=True)
class Process:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, password: str | None = PASSWORD) -> redis.Redis:
        return redis.Redis(port=self.port, password=password, socket_timeout=2, decode_responses=True)


@pytest.fixture(scope="module")
def rendered(helm: Helm, tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    """The ConfigMap's files written out, and the env of each role's redis and sentinel container."""
    objects = helm.template(sets=["redis.sentinel.enabled=true"])
    files = tmp_path_factory.mktemp("chart-sentinel")
    for name, text in one(objects, "ConfigMap", "journal-redis")["data"].items():
        (files / name).write_text(text)
    envs: dict[str, dict[str, str]] = {}
    for role, sts in (("primary", "journal-redis"), ("replica", "journal-redis-replica")):
        for container in one(objects, "StatefulSet", sts)["spec"]["template"]["spec"]["containers"]:
            envs[f"{role}-{container['name']}"] = {
                e["name"]: e["value"] for e in container["env"] if "value" in e
            }
    return files, envs


def wait_until(check: Callable[[], Any], what: str, *watched: Process, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (redis.RedisError, KeyError):  # KeyError: an INFO field of the other role
            pass
        time.sleep(0.05)
    logs = "\n".join(f"--- {p.name}\n{p.log.read_text()[-1500:]}" for p in watched)
    raise AssertionError(f"{what} did not happen; logs:\n{logs}")


class Cluster:
    """The processes of one test, each in its own process group, stopped at the end."""

    def __init__(self, rendered: Rendered, tmp: Path, stack: ExitStack, server: str) -> None:
        self.files, self.envs = rendered
        self.server = server
        self.path = path_for(server, tmp)
        self.tmp = tmp
        self.stack = stack
        self.password_file = tmp / "passwd"
        self.password_file.write_text(PASSWORD + "\n")
        self.primary_port, self.replica_port, *self.sentinel_ports = free_ports(5)
        self.addresses = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)

    def _start(self, name: str, script: str, env: dict[str, str]) -> Process:
        log = self.tmp / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                ["sh", str(self.files / script)],
                env={"PATH": self.path, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.stack.callback(stop_group, process, 10.0, repeat_term_s=0.5)
        return Process(name, int(env.get("REDIS_PORT") or env["SENTINEL_PORT"]), process, log)

    def _loopback(self, env: dict[str, str]) -> dict[str, str]:
        """The pods' DNS names and volumes, mapped onto this machine."""
        assert env["REDIS_PRIMARY_HOST"] == "journal-redis-0.journal-redis-headless.journal.svc"
        assert env["REDIS_ANNOUNCE_HOST"] == "$(POD_NAME).journal-redis-headless.journal.svc"
        assert env["SENTINEL_ADDRESSES"].count(".journal-redis-headless.journal.svc:26379") == 3
        env = {**env, "REDIS_PRIMARY_HOST": "127.0.0.1", "REDIS_PRIMARY_PORT": str(self.primary_port)}
        env.update(REDIS_ANNOUNCE_HOST="127.0.0.1", SENTINEL_ANNOUNCE_HOST="127.0.0.1")
        env.update(SENTINEL_ADDRESSES=self.addresses, REDIS_PASSWORD_FILE=str(self.password_file))
        if "REDIS_PEERS" in env:
            assert env["REDIS_PEERS"].count(".journal-redis-headless.journal.svc:6379") == 3
            env["REDIS_PEERS"] = f"127.0.0.1:{self.primary_port},127.0.0.1:{self.replica_port}"
        env.pop("POD_NAME", None)
        return env

    def node(self, role: str, **settings: str) -> Process:
        env = self._loopback(self.envs[f"{role}-redis"])
        (self.tmp / role).mkdir(exist_ok=True)
        env.update(
            REDIS_PORT=str(self.primary_port if role == "primary" else self.replica_port),
            REDIS_BIND="127.0.0.1",
            REDIS_CONF=str(self.files / "redis.conf"),
            REDIS_DATA_DIR=str(self.tmp / role),
            REDIS_RUN_DIR=str(self.tmp / f"run-{role}"),
            **settings,
        )
        return self._start(role, "launch.sh", env)

    def sentinel(self, index: int) -> Process:
        role = "primary" if index == 0 else "replica"
        env = self._loopback(self.envs[f"{role}-sentinel"])
        env.update(
            SENTINEL_PORT=str(self.sentinel_ports[index]),
            SENTINEL_BIND="127.0.0.1",
            SENTINEL_DIR=str(self.tmp / f"sentinel-{index}"),
            SENTINEL_DOWN_AFTER_MS=DOWN_AFTER_MS,
            SENTINEL_FAILOVER_TIMEOUT_MS=FAILOVER_TIMEOUT_MS,
        )
        return self._start(f"sentinel-{index}", "sentinel.sh", env)


def master_state(sentinel: Process) -> dict[str, Any]:
    """SENTINEL MASTER journal, parsed by redis-py (flags, counts as ints)."""
    state = sentinel.client(password=None).sentinel_master(MASTER)
    assert isinstance(state, dict), state
    return state


def primary_named(sentinel: Process) -> int | None:
    reply = sentinel.client(password=None).sentinel_get_master_addr_by_name(MASTER, return_responses=True)
    return int(reply[1]) if isinstance(reply, tuple) else None


@pytest.fixture
def cluster(rendered: Rendered, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Cluster]:
    """Debian's Redis, or the server a test names (`indirect` parametrization, support/servers.py)."""
    with ExitStack() as stack:
        yield Cluster(rendered, tmp_path, stack, getattr(request, "param", "redis"))


@pytest.mark.parametrize("cluster", SERVERS, indirect=True)
def test_a_killed_primary_is_replaced_and_rejoins_as_a_replica(cluster: Cluster) -> None:
    shared_conf = (cluster.files / "redis.conf").read_text()
    primary, replica = cluster.node("primary"), cluster.node("replica")
    sentinels = [cluster.sentinel(i) for i in range(3)]
    everyone = (primary, replica, *sentinels)

    def settled() -> bool:
        for sentinel in sentinels:
            state = master_state(sentinel)
            if state["num-other-sentinels"] < 2 or state["num-slaves"] < 1:
                return False
        return True

    wait_until(settled, "sentinels finding each other and the replica", *everyone)
    # The scripts ran the server asked for (Valkey also reports a redis_version).
    for process in (primary, sentinels[0]):
        info = process.client(password=None if process in sentinels else PASSWORD).info("server")
        assert ("valkey_version" in info) == (cluster.server == "valkey"), (process.name, info)
    assert all(primary_named(s) == cluster.primary_port for s in sentinels)
    primary.client().set("entry", "before the failover")
    assert primary.client().wait(1, 5000) == 1

    signal_group(primary.process, signal.SIGKILL)
    primary.process.wait(timeout=10)
    wait_until(
        lambda: all(primary_named(s) == cluster.replica_port for s in sentinels), "promotion", *everyone
    )
    wait_until(lambda: replica.client().info("replication")["role"] == "master", "replica promoted", replica)
    assert replica.client().get("entry") == "before the failover"
    replica.client().set("entry", "after the failover")

    # The pod restarts: the same launch.sh with REDIS_ROLE=primary asks the sentinels first.
    rejoined = cluster.node("primary")
    wait_until(
        lambda: rejoined.client().info("replication").get("master_link_status") == "up",
        "old primary rejoins",
        rejoined,
    )
    info = rejoined.client().info("replication")
    assert (info["role"], info["master_port"]) == ("slave", cluster.replica_port)
    wait_until(lambda: rejoined.client().get("entry") == "after the failover", "catch-up", rejoined)
    with pytest.raises(redis.ReadOnlyError):
        rejoined.client().set("entry", "split brain")
    assert "starting as replica" in rejoined.log.read_text()
    # The failover's CONFIG REWRITE went to the node's own copy, never the shared file.
    assert (cluster.files / "redis.conf").read_text() == shared_conf

    # Every sentinel restarts (a `kbp local down` and `up`): with no peer to ask, each one
    # monitors the primary its rewritten config named, not the first primary again.
    for sentinel in sentinels:
        stop_group(sentinel.process, 10.0)
    alone = cluster.sentinel(1)
    wait_until(lambda: primary_named(alone) == cluster.replica_port, "the last primary remembered", alone)
    assert f"monitoring journal at 127.0.0.1 {cluster.replica_port}" in alone.log.read_text()


@pytest.mark.parametrize("cluster", SERVERS, indirect=True)
def test_with_no_sentinel_answering_a_restart_follows_the_primary_the_other_nodes_name(
    cluster: Cluster,
) -> None:
    # No sentinel runs (slow under load, or down): the nodes ask each other. 1 s, not 5, of asking.
    quick = {"SENTINEL_WAIT_S": "1"}
    replica = cluster.node("replica", **quick)
    wait_until(lambda: replica.client().info("replication")["role"] == "slave", "replica up", replica)
    # The primary restarts before any failover: the replica still names it, so it is the primary.
    primary = cluster.node("primary", **quick)
    wait_until(lambda: primary.client().info("replication")["role"] == "master", "primary up", primary)
    assert f"the other nodes name 127.0.0.1 {cluster.primary_port} as the primary: starting as primary" in (
        primary.log.read_text()
    )

    # A failover made the replica the primary (the sentinels then became unreachable), and the
    # old primary's pod restarts with REDIS_ROLE=primary: it must not make a second primary.
    signal_group(primary.process, signal.SIGKILL)
    primary.process.wait(timeout=10)
    replica.client().replicaof("NO", "ONE")
    replica.client().set("entry", "written on the new primary")
    # The rejoin's sync at once: a disk sync starts on the request, a diskless one waits for a cron tick.
    replica.client().config_set("repl-diskless-sync", "no")
    rejoined = cluster.node("primary", **quick)
    wait_until(
        lambda: rejoined.client().info("replication").get("master_link_status") == "up",
        "old primary rejoins as a replica",
        rejoined,
    )
    info = rejoined.client().info("replication")
    assert (info["role"], info["master_port"]) == ("slave", cluster.replica_port)
    wait_until(lambda: rejoined.client().get("entry") == "written on the new primary", "catch-up", rejoined)
    with pytest.raises(redis.ReadOnlyError):
        rejoined.client().set("entry", "split brain")
    assert f"the other nodes name 127.0.0.1 {cluster.replica_port} as the primary: starting as replica" in (
        rejoined.log.read_text()
    )
    # The password went to redis-cli on stdin: never argv, never the environment.
    for process in (rejoined, replica):
        assert "$pass" not in Path(f"/proc/{process.process.pid}/cmdline").read_bytes().decode()


def test_sentinel_keeps_the_password_out_of_argv_in_a_0600_file(cluster: Cluster) -> None:
    primary = cluster.node("primary")
    sentinel = cluster.sentinel(0)
    wait_until(lambda: primary_named(sentinel) == cluster.primary_port, "sentinel answers", sentinel, primary)
    conf = cluster.tmp / "sentinel-0" / "sentinel.conf"
    assert conf.stat().st_mode & 0o077 == 0
    assert "sentinel auth-pass journal" in conf.read_text()
    cmdline = Path(f"/proc/{sentinel.process.pid}/cmdline").read_bytes().decode()
    assert "$pass" not in cmdline
    # auth-pass works: the sentinel gets INFO from the primary (it would not without AUTH).
    wait_until(
        lambda: master_state(sentinel)["role-reported"] == "master",
        "an authenticated sentinel",
        sentinel,
    )
    assert not master_state(sentinel)["is_sdown"]


def test_a_sentinel_starts_only_once_it_could_fail_over(cluster: Cluster) -> None:
    def probe(sentinel: Process, mode: str) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ["PATH"], "SENTINEL_PORT": str(sentinel.port)}
        argv = ["sh", str(cluster.files / "probe.sh"), mode]
        return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=10, check=False)

    primary = cluster.node("primary")
    first = cluster.sentinel(0)
    wait_until(lambda: primary_named(first) == cluster.primary_port, "sentinel answers", first, primary)
    wait_until(lambda: master_state(first)["role-reported"] == "master", "sentinel sees it", first)
    # It answers PING (ready), but knows no replica and no peer: it could not fail over yet.
    assert probe(first, "sentinel").returncode == 0
    alone = probe(first, "sentinel-start")
    assert alone.returncode == 1
    assert "replicas=0 sentinels=0" in alone.stderr
    replica, second = cluster.node("replica"), cluster.sentinel(1)
    wait_until(
        lambda: probe(first, "sentinel-start").returncode == 0,
        "a replica and a peer known",
        first,
        second,
        replica,
        timeout_s=40,
    )
    state = master_state(first)
    assert state["num-slaves"] >= 1
    assert state["num-other-sentinels"] >= 1
