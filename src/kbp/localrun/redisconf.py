"""How the local stack runs the chart's Redis scripts: launch.sh and sentinel.sh's environment.

The chart's files/redis/launch.sh, sentinel.sh and redis.conf are the only copy of the Redis
set-up; here they get loopback addresses and the state directory instead of pod DNS names and
volumes.
"""

from __future__ import annotations

from kbp.localrun.errors import BadOptionsError
from kbp.localrun.options import SENTINEL_QUORUM, StackOptions

PRIMARY = "redis-primary"
REPLICA = "redis-replica"
SENTINEL_MASTER = "journal"
# On loopback a primary that misses pings for 2 s is gone, not slow; the chart waits 5 s.
SENTINEL_DOWN_AFTER_MS = 2000
SENTINEL_FAILOVER_TIMEOUT_MS = 10_000


def sentinel_name(index: int) -> str:
    return f"sentinel-{index + 1}"


def redis_nodes(options: StackOptions) -> tuple[tuple[str, int], ...]:
    """(program name, port) of every Redis node: redis-primary, redis-replica, redis-replica-2, ..."""
    ports = options.ports
    more = tuple((f"{REPLICA}-{i + 2}", port) for i, port in enumerate(ports.more_replicas))
    return ((PRIMARY, ports.redis_primary), (REPLICA, ports.redis_replica), *more)


def sentinel_addresses(options: StackOptions) -> str:
    """Every sentinel as host:port,...: JOURNAL_SENTINEL_ADDRESSES, and the scripts' SENTINEL_ADDRESSES."""
    return ",".join(f"127.0.0.1:{port}" for port in options.ports.sentinels)


def redis_env(options: StackOptions, role: str) -> dict[str, str]:
    """launch.sh's settings for the node `role` (its program name). The password travels as a file
    path, never as a value."""
    nodes = dict(redis_nodes(options))
    if role not in nodes:
        raise BadOptionsError(f"redis role {role!r} is unknown (expected one of {', '.join(nodes)})")
    paths = options.paths
    ports = options.ports
    env = {
        "REDIS_ROLE": "primary" if role == PRIMARY else "replica",
        "REDIS_PORT": str(nodes[role]),
        "REDIS_BIND": "127.0.0.1",
        "REDIS_PRIMARY_HOST": "127.0.0.1",
        "REDIS_PRIMARY_PORT": str(ports.redis_primary),
        "REDIS_CONF": str(options.chart_files / "redis" / "redis.conf"),
        "REDIS_DATA_DIR": str(paths.redis_dir(role)),
        "REDIS_RUN_DIR": str(paths.redis_run(role)),
        "REDIS_PASSWORD_FILE": str(paths.password_file),
    }
    if ports.sentinels:
        # The node asks the sentinels who the primary is; REDIS_ROLE is only the fallback.
        env["SENTINEL_ADDRESSES"] = sentinel_addresses(options)
        env["SENTINEL_MASTER"] = SENTINEL_MASTER
        # Asked when no sentinel answers, so a restart never makes a second primary.
        env["REDIS_PEERS"] = ",".join(f"127.0.0.1:{port}" for _, port in redis_nodes(options))
    return env


def sentinel_env(options: StackOptions, index: int) -> dict[str, str]:
    """sentinel.sh's settings for sentinel `index` (0-based)."""
    ports = options.ports
    if not 0 <= index < len(ports.sentinels):
        raise BadOptionsError(f"sentinel {index + 1} is unknown (the stack has {len(ports.sentinels)})")
    return {
        "SENTINEL_PORT": str(ports.sentinels[index]),
        "SENTINEL_BIND": "127.0.0.1",
        "SENTINEL_DIR": str(options.paths.sentinel_dir(sentinel_name(index))),
        "SENTINEL_MASTER": SENTINEL_MASTER,
        "SENTINEL_QUORUM": str(SENTINEL_QUORUM),
        "SENTINEL_DOWN_AFTER_MS": str(SENTINEL_DOWN_AFTER_MS),
        "SENTINEL_FAILOVER_TIMEOUT_MS": str(SENTINEL_FAILOVER_TIMEOUT_MS),
        "SENTINEL_ADDRESSES": sentinel_addresses(options),
        "REDIS_PRIMARY_HOST": "127.0.0.1",
        "REDIS_PRIMARY_PORT": str(ports.redis_primary),
        "REDIS_PASSWORD_FILE": str(options.paths.password_file),
    }
