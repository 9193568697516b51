"""What a local stack is made of: ports, paths and knobs, as frozen values with no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kbp.charts import chart_files
from kbp.localrun.errors import BadOptionsError

DEFAULT_PORT = 8080
DEFAULT_STATE_DIR = Path(".kbp/local")
# AF_UNIX paths are capped at 108 bytes on Linux; keep a margin for the socket file name.
MAX_SOCKET_PATH = 100
# Sentinels that must agree the primary is down; one more can be lost and a failover still runs.
SENTINEL_QUORUM = 2


@dataclass(frozen=True)
class Ports:
    """Every TCP port the stack listens on (all bound to the loopback address)."""

    nginx: int
    api: tuple[int, ...]
    redis_primary: int
    redis_replica: int
    # Sentinel mode: a second replica (so a promoted replica still has one to acknowledge
    # writes) and one port per sentinel; both empty without Sentinel.
    more_replicas: tuple[int, ...] = ()
    sentinels: tuple[int, ...] = ()

    def all(self) -> tuple[int, ...]:
        return (self.nginx, *self.api, *self.redis_nodes(), *self.sentinels)

    def redis_nodes(self) -> tuple[int, ...]:
        """Every Redis node's port: the first primary, then the replicas."""
        return (self.redis_primary, self.redis_replica, *self.more_replicas)


def derive_ports(
    nginx: int, *, api_processes: int = 2, redis_primary: int | None = None, sentinels: int = 0
) -> Ports:
    """Lay the other ports out after NGINX's: APIs next, then the Redis pair (or after `redis_primary`);
    with sentinels, a second replica and then the sentinels."""
    api = tuple(nginx + 1 + i for i in range(api_processes))
    primary = redis_primary if redis_primary is not None else nginx + 1 + api_processes
    more = (primary + 2,) if sentinels else ()
    return Ports(
        nginx=nginx,
        api=api,
        redis_primary=primary,
        redis_replica=primary + 1,
        more_replicas=more,
        sentinels=tuple(primary + 2 + len(more) + i for i in range(sentinels)),
    )


@dataclass(frozen=True)
class StatePaths:
    """Where each piece of state lives; everything hangs off one root directory."""

    root: Path

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"

    @property
    def password_file(self) -> Path:
        return self.secrets / "redis-passwd"

    @property
    def config(self) -> Path:
        return self.root / "config"

    @property
    def static(self) -> Path:
        return self.root / "static"

    @property
    def nginx(self) -> Path:
        return self.root / "nginx"

    @property
    def nginx_conf(self) -> Path:
        return self.nginx / "nginx.conf"

    @property
    def supervisord_conf(self) -> Path:
        return self.root / "supervisord.conf"

    @property
    def supervisor_socket(self) -> Path:
        return self.run / "supervisor.sock"

    @property
    def supervisord_pid(self) -> Path:
        return self.run / "supervisord.pid"

    @property
    def options_file(self) -> Path:
        return self.root / "stack.json"

    def redis_dir(self, role: str) -> Path:
        return self.root / "redis" / role

    def redis_run(self, role: str) -> Path:
        """Where launch.sh writes the node's auth include (0700)."""
        return self.run / role

    def sentinel_dir(self, name: str) -> Path:
        """Where a sentinel keeps the config it rewrites (0600, it holds auth-pass)."""
        return self.run / name

    def log(self, program: str) -> Path:
        return self.logs / f"{program}.log"


@dataclass(frozen=True)
class Workers:
    """NGINX's workers when the stack runs as root: an unprivileged user and group, and a directory
    of their own (a fresh one under /tmp, 0711) holding what they read and write: a copy of the UI,
    the static files and NGINX's temp paths. The state dir may sit below directories they cannot
    enter (a 0700 home, a mktemp dir), and its secrets stay closed to them."""

    user: str
    group: str
    directory: Path

    @property
    def web(self) -> Path:
        return self.directory / "web"

    @property
    def static(self) -> Path:
        return self.directory / "static"

    @property
    def temp(self) -> Path:
        return self.directory / "temp"


@dataclass(frozen=True)
class StackOptions:
    """Everything that decides the generated configs. Paths are absolute."""

    state_dir: Path
    web_dir: Path
    ports: Ports
    python: str
    page_size: int = 10
    max_body_bytes: int = 16 * 1024
    # One worker: on 2 cores the API processes and Redis need the other one (see bench/journal.py).
    nginx_workers: int = 1
    # Set when the stack runs as root: NGINX's workers then run unprivileged (see Workers).
    workers: Workers | None = None
    redis_autorestart: bool = True
    log_level: str = "info"
    # The chart's files/: the Redis launch script, redis.conf and NGINX's fileserver locations.
    chart_files: Path = field(default_factory=chart_files)

    @property
    def paths(self) -> StatePaths:
        return StatePaths(self.state_dir)

    @property
    def served_web_dir(self) -> Path:
        """NGINX's `root`: the UI itself, or the copy unprivileged workers can read."""
        return self.workers.web if self.workers else self.web_dir

    @property
    def static_dir(self) -> Path:
        return self.workers.static if self.workers else self.paths.static

    @property
    def nginx_temp(self) -> Path:
        return self.workers.temp if self.workers else self.paths.nginx / "temp"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports.nginx}/"


def validate(options: StackOptions) -> None:
    """Reject options that cannot produce a working stack, naming the value and what is expected."""
    ports = options.ports.all()
    if len(set(ports)) != len(ports):
        raise BadOptionsError(f"ports {list(ports)} overlap: each process needs its own port")
    for port in ports:
        if not 1 <= port <= 65535:
            raise BadOptionsError(f"port {port} is out of range (expected 1-65535)")
    if not options.ports.api:
        raise BadOptionsError("api processes: need at least 1")
    if options.ports.sentinels and len(options.ports.sentinels) < SENTINEL_QUORUM + 1:
        raise BadOptionsError(
            f"sentinels: {len(options.ports.sentinels)} cannot fail over safely "
            f"(need at least {SENTINEL_QUORUM + 1} for a quorum of {SENTINEL_QUORUM})"
        )
    if options.page_size < 1:
        raise BadOptionsError(f"page size {options.page_size} must be at least 1")
    if not options.state_dir.is_absolute() or not options.web_dir.is_absolute():
        raise BadOptionsError("state and web directories must be absolute paths")
    socket = str(options.paths.supervisor_socket)
    if len(socket.encode()) > MAX_SOCKET_PATH:
        raise BadOptionsError(
            f"state dir {options.state_dir} is too deep: socket path {socket!r} exceeds "
            f"{MAX_SOCKET_PATH} bytes (use a shorter --state-dir)"
        )
