"""`kbp local up --sentinel`: three sentinels beside a primary and two replicas, all from the
chart's scripts. SIGKILL the primary: a replica is promoted, and the old primary, started again
by supervisord, rejoins as a replica. Under a steady load of careful writers through NGINX
(Idempotency-Key retries), writes resume and every acknowledged entry is stored once. Redis is
not restarted automatically here, so each kill is seen as a primary that stays down until the
test starts it again.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from kbp.cli.app import app
from kbp.localrun import passwords, stack, supervising
from kbp.localrun.options import SENTINEL_QUORUM, Ports, StackOptions
from kbp.localrun.redisconf import SENTINEL_MASTER, redis_nodes
from kbp.ports import free_ports
from support.localstack import LocalStack, require_binaries, wait_until
from support.writeload import WriteLoad, stored_texts

WEB_DIR = Path(__file__).resolve().parents[3] / "web"
FAILOVER_TIMEOUT_S = 60.0


@contextmanager
def started_sentinel_stack(state_dir: Path) -> Iterator[LocalStack]:
    require_binaries("redis-server", "nginx")
    # What --sentinel lays out (NGINX, 2 APIs, 3 Redis nodes, 3 sentinels), on free ports.
    nginx, api_1, api_2, primary, replica, replica_2, *sentinels = free_ports(9)
    ports = Ports(nginx, (api_1, api_2), primary, replica, (replica_2,), tuple(sentinels))
    options = StackOptions(
        state_dir=state_dir,
        web_dir=WEB_DIR,
        ports=ports,
        python=sys.executable,
        redis_autorestart=False,
    )
    try:
        stack.up(options, timeout_s=120)
        yield LocalStack(options)
    finally:
        stack.down(options.paths)


@pytest.fixture(scope="module")
def sentinel_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with started_sentinel_stack(tmp_path_factory.mktemp("sentinel-stack")) as local:
        yield local


def named_primary(local: LocalStack) -> int | None:
    """The port of the primary most sentinels name (None while they disagree or do not answer)."""
    answers = []
    for port in local.options.ports.sentinels:
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1.0)
        try:
            reply = client.sentinel_get_master_addr_by_name(SENTINEL_MASTER, return_responses=True)
        except redis.RedisError:
            continue
        finally:
            client.close()
        if isinstance(reply, tuple):
            answers.append(int(reply[1]))
    agreed = [port for port in set(answers) if answers.count(port) >= SENTINEL_QUORUM]
    return agreed[0] if agreed else None


def node(local: LocalStack, port: int) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=port, password=local.password, socket_timeout=2.0)


def program_on(local: LocalStack, port: int) -> str:
    return next(name for name, node_port in redis_nodes(local.options) if node_port == port)


def test_status_shows_the_sentinels_running_on_their_ports(sentinel_stack: LocalStack) -> None:
    state = str(sentinel_stack.options.state_dir)
    result = CliRunner().invoke(app, ["local", "status", "--state-dir", state, "-o", "json"])
    assert result.exit_code == 0, result.output
    items = {item["name"]: item for item in json.loads(result.stdout)["items"]}
    ports = sentinel_stack.options.ports
    for index, port in enumerate(ports.sentinels):
        assert items[f"sentinel-{index + 1}"]["state"] == "RUNNING"
        assert items[f"sentinel-{index + 1}"]["port"] == port
    assert items["redis-replica-2"]["port"] == ports.more_replicas[0]


def test_read_your_writes_through_nginx_while_the_read_replica_lags(tmp_path: Path) -> None:
    """The APIs read from one replica; frozen, it lags every write (the other replica acknowledges
    them). A client that sends back the Journal-Version of its write sees that write on every read,
    whichever API process NGINX picks. A stack of its own: the frozen replica must not linger in the
    failover tests' stack."""
    with started_sentinel_stack(tmp_path / "state") as local:
        read_your_writes_through_nginx(local)


def read_your_writes_through_nginx(local: LocalStack) -> None:
    lagging = local.pid("redis-replica")
    os.kill(lagging, signal.SIGSTOP)
    try:
        with local.client() as client:
            created = client.post("/api", json={"text": "read your writes"})
            assert created.status_code == 201, created.text
            version = created.headers["Journal-Version"]
            for _ in range(6):
                page = client.get("/api", headers={"Journal-Version": version})
                assert page.status_code == 200, page.text
                assert created.json()["id"] in [item["id"] for item in page.json()["items"]]
    finally:
        os.kill(lagging, signal.SIGCONT)

    # NGINX spread the reads over both API processes (its access log names the upstream of each).
    def upstreams() -> set[object]:
        reads = [e for e in local.access_log() if e["method"] == "GET" and e["uri"] == "/api"]
        return {e["upstream"] for e in reads[-6:]}

    wait_until(lambda: len(upstreams()) == 2, what="the access log to show both API processes")


async def until(condition: Callable[[], bool], *, what: str, timeout_s: float = FAILOVER_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what}")
        await asyncio.sleep(0.05)


def test_writes_through_nginx_survive_a_killed_primary(sentinel_stack: LocalStack) -> None:
    local = sentinel_stack
    old = named_primary(local)
    # First on a fresh stack: the primary dies, not the replica the APIs read from (they read from
    # one replica, and fall back to the primary alone).
    assert old == local.options.ports.redis_primary
    name = program_on(local, old)

    async def scenario() -> tuple[WriteLoad, float]:
        async with WriteLoad(local.url, writers=4) as load:
            await until(lambda: len(load.record.acknowledged) >= 20, what="writes before the kill")
            killed_at = time.monotonic()
            os.kill(local.pid(name), signal.SIGKILL)
            await until(lambda: named_primary(local) not in (None, old), what="a replica to be promoted")
            await until(lambda: load.record.acks_after(killed_at) >= 20, what="writes to resume")
        return load, killed_at

    load, killed_at = asyncio.run(scenario())
    print(f"local stack: writes unavailable for {load.record.unavailable_s(killed_at):.2f} s after SIGKILL")
    assert set(load.record.read_statuses) == {200}  # reads never failed
    assert not load.record.conflicts
    new = named_primary(local)
    assert new is not None
    stored = stored_texts(node(local, new).hgetall("journal:entries"))
    missing = [text for text in load.record.acknowledged if stored[text] != 1]
    assert missing == [], f"{len(missing)} acknowledged writes lost or doubled: {missing[:5]}"
    assert all(count == 1 for count in stored.values()), stored.most_common(3)

    # Started again, the old primary rejoins as a replica and gets every acknowledged entry.
    supervising.start_program(local.options.paths, name)
    wait_until(
        lambda: node(local, old).info("replication").get("master_link_status") == "up",
        timeout_s=FAILOVER_TIMEOUT_S,
        what=f"{name} to rejoin",
    )
    node(local, new).set("sentinel:marker", "last")
    wait_until(
        lambda: node(local, old).get("sentinel:marker") == b"last", what="the rejoined node to catch up"
    )
    rejoined = stored_texts(node(local, old).hgetall("journal:entries"))
    assert all(rejoined[text] == 1 for text in load.record.acknowledged)


def test_a_killed_primary_is_replaced_and_rejoins_as_a_replica(sentinel_stack: LocalStack) -> None:
    local = sentinel_stack
    old = named_primary(local)
    assert old is not None
    name = program_on(local, old)
    node(local, old).set("sentinel:before", "kept")
    assert node(local, old).wait(2, 5000) == 2

    os.kill(local.pid(name), signal.SIGKILL)
    wait_until(
        lambda: named_primary(local) not in (None, old), timeout_s=FAILOVER_TIMEOUT_S, what="promotion"
    )
    new = named_primary(local)
    assert new is not None
    assert node(local, new).info("replication")["role"] == "master"
    assert node(local, new).get("sentinel:before") == b"kept"
    # The other replica now follows the promoted one, so writes there are acknowledged again.
    assert node(local, new).wait(1, 10_000) >= 1

    supervising.start_program(local.options.paths, name)
    wait_until(
        lambda: node(local, old).info("replication").get("master_link_status") == "up",
        timeout_s=FAILOVER_TIMEOUT_S,
        what=f"{name} to rejoin",
    )
    info = node(local, old).info("replication")
    assert (info["role"], info["master_port"]) == ("slave", new)
    with pytest.raises(redis.ReadOnlyError):
        node(local, old).set("sentinel:split-brain", "refused")
    log = local.options.paths.log(name).read_text()
    assert "starting as replica" in log.rsplit("launch.sh:", 1)[-1]
    assert passwords.read_password(local.options.paths) not in log
