"""How the local stack runs the chart's Redis launch script: its environment, per node.

The chart's files/redis/launch.sh and redis.conf are the only copy of the Redis set-up; here they
get loopback addresses and the state directory instead of pod DNS names and volumes.
"""

from __future__ import annotations

from kbp.localrun.errors import BadOptionsError
from kbp.localrun.options import StackOptions

PRIMARY = "redis-primary"
REPLICA = "redis-replica"
_ROLES = {PRIMARY: "primary", REPLICA: "replica"}


def redis_env(options: StackOptions, role: str) -> dict[str, str]:
    """launch.sh's settings for `role`. The password travels as a file path, never as a value."""
    if role not in _ROLES:
        raise BadOptionsError(f"redis role {role!r} is unknown (expected {PRIMARY} or {REPLICA})")
    paths = options.paths
    ports = options.ports
    return {
        "REDIS_ROLE": _ROLES[role],
        "REDIS_PORT": str(ports.redis_primary if role == PRIMARY else ports.redis_replica),
        "REDIS_BIND": "127.0.0.1",
        "REDIS_PRIMARY_HOST": "127.0.0.1",
        "REDIS_PRIMARY_PORT": str(ports.redis_primary),
        "REDIS_CONF": str(options.chart_files / "redis" / "redis.conf"),
        "REDIS_DATA_DIR": str(paths.redis_dir(role)),
        "REDIS_RUN_DIR": str(paths.redis_run(role)),
        "REDIS_PASSWORD_FILE": str(paths.password_file),
    }
