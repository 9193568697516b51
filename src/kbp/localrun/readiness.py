"""Is the stack ready? Redis answers, the replica's link is up, each API is ready, NGINX routes /api."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

from kbp.localrun.errors import NotReadyError
from kbp.localrun.options import StackOptions
from kbp.localrun.programs import NGINX, api_name
from kbp.localrun.redisconf import PRIMARY, REPLICA, SENTINEL_MASTER, redis_nodes, sentinel_name
from kbp.localrun.supervising import FAILED_STATES, process_states

POLL_S = 0.1


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""


def check_redis(port: int, password: str, *, role: str, name: str | None = None) -> Check:
    """PONG, and for a replica a link that is up. `name` (default: `role`) names the program."""
    name = name or role
    client = redis.Redis(
        host="127.0.0.1", port=port, password=password, socket_timeout=0.5, socket_connect_timeout=0.5
    )
    try:
        if not client.ping():
            return Check(name, ok=False, detail="no PONG")
        if role == REPLICA:
            link = client.info("replication").get("master_link_status", "absent")
            return Check(name, ok=link == "up", detail=f"master link {link}")
    except (OSError, redis.RedisError) as err:
        return Check(name, ok=False, detail=str(err)[:120])
    finally:
        client.close()
    return Check(name, ok=True)


def check_sentinel(name: str, port: int, *, peers: int, replicas_expected: int) -> tuple[Check, int | None]:
    """Ready when it names a primary it sees up and knows the replicas and its `peers` other
    sentinels (they find each other through the primary's hello channel, every 2 s). Also returns
    the port of the primary it names."""
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        state = client.sentinel_master(SENTINEL_MASTER)
    except (OSError, redis.RedisError) as err:
        return Check(name, ok=False, detail=str(err)[:120]), None
    finally:
        client.close()
    if not isinstance(state, dict):
        return Check(name, ok=False, detail=f"SENTINEL MASTER: unexpected reply {state!r:.80}"), None
    others, replicas = int(state["num-other-sentinels"]), int(state["num-slaves"])
    ok = others >= peers and replicas >= replicas_expected and not state["is_sdown"]
    detail = f"primary :{state['port']}, {replicas} replica(s), {others} other sentinel(s)"
    return Check(name, ok=ok, detail=detail), int(state["port"])


def check_http(name: str, url: str) -> Check:
    try:
        response = httpx.get(url, timeout=1.0)
    except httpx.HTTPError as err:
        return Check(name, ok=False, detail=f"{url}: {type(err).__name__}")
    return Check(name, ok=response.status_code == 200, detail=f"{url} -> {response.status_code}")


def check_stack(options: StackOptions, password: str) -> tuple[Check, ...]:
    """Every check, in dependency order; NGINX is probed last, or its early 502s mark APIs down."""
    ports = options.ports
    checks = (
        *_redis_checks(options, password),
        *(check_http(api_name(i), f"http://127.0.0.1:{port}/readyz") for i, port in enumerate(ports.api)),
    )
    if all(check.ok for check in checks):
        return (*checks, check_http(NGINX, f"{options.url}api"))
    return (*checks, Check(NGINX, ok=False, detail="waiting for the API processes"))


def _redis_checks(options: StackOptions, password: str) -> tuple[Check, ...]:
    """Every node answers and each replica's link is up. With Sentinel the roles may have moved
    (a failover before the last `down`): the primary is the node the sentinels name."""
    ports = options.ports
    if not ports.sentinels:
        return (
            check_redis(ports.redis_primary, password, role=PRIMARY),
            check_redis(ports.redis_replica, password, role=REPLICA),
        )
    sentinels = [
        check_sentinel(
            sentinel_name(i),
            port,
            peers=len(ports.sentinels) - 1,
            replicas_expected=len(ports.redis_nodes()) - 1,
        )
        for i, port in enumerate(ports.sentinels)
    ]
    named = sentinels[0][1]
    nodes = tuple(
        check_redis(port, password, role=PRIMARY if port == named else REPLICA, name=name)
        for name, port in redis_nodes(options)
    )
    return (*(check for check, _ in sentinels), *nodes)


def tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return f"({path} does not exist)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join(f"  | {line}" for line in text)


def wait_ready(
    options: StackOptions,
    password: str,
    *,
    timeout_s: float,
    on_wait: Callable[[str], None] | None = None,
) -> float:
    """Poll until every check passes; fail at once if a process dies. Returns the seconds it took."""
    started = time.monotonic()
    deadline = started + timeout_s
    pending: list[Check] = []
    while time.monotonic() < deadline:
        for state in process_states(options.paths):
            if state.state in FAILED_STATES:
                raise NotReadyError(
                    f"{state.name} is {state.state} ({state.description}); its log:\n"
                    + tail(options.paths.log(state.name))
                )
        pending = [check for check in check_stack(options, password) if not check.ok]
        if not pending:
            return time.monotonic() - started
        if on_wait is not None:
            on_wait(", ".join(check.name for check in pending))
        time.sleep(POLL_S)
    logs = "\n".join(
        f"{check.name}: {check.detail}\n{tail(options.paths.log(check.name))}" for check in pending
    )
    raise NotReadyError(f"not ready after {timeout_s:.0f}s; still waiting for:\n{logs}")
