"""The images `kbp image build` makes, and the Debian-built bases that stand in for public ones (data).

No registry is reachable here, so each public base a Dockerfile names by digest (its build argument's
default) is replaced by a base made from Debian bookworm packages with mmdebstrap. The Redis image is
such a base itself: Bookworm ships Redis 7.0, not Valkey, and the chart's scripts run on both.
"""

from __future__ import annotations

from dataclasses import dataclass

SUITE = "bookworm"
# containerd 2.4's default sandbox image: the node asks for exactly this name.
PAUSE_REF = "registry.k8s.io/pause:3.10.2"
# A static binary from Debian that sleeps as a pause container does (`-P`) and reaps zombies.
PAUSE_BINARY = "/usr/bin/catatonit"

# Docs, man pages and translations are never read in a container.
_SLIM = (
    "path-exclude=/usr/share/doc/*",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/locale/*",
)

# As in nginxinc/nginx-unprivileged: no `user` (it runs as uid 101), pid and temp files in /tmp,
# logs to the container's output, servers from conf.d (the chart mounts default.conf there).
NGINX_CONF = """\
worker_processes auto;
pid /tmp/nginx.pid;
error_log /dev/stderr notice;
include /etc/nginx/modules-enabled/*.conf;
events { worker_connections 1024; }
http {
    client_body_temp_path /tmp/client_temp;
    proxy_temp_path /tmp/proxy_temp;
    fastcgi_temp_path /tmp/fastcgi_temp;
    uwsgi_temp_path /tmp/uwsgi_temp;
    scgi_temp_path /tmp/scgi_temp;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log /dev/stdout;
    sendfile on;
    keepalive_timeout 65;
    include /etc/nginx/conf.d/*.conf;
}
"""


@dataclass(frozen=True)
class Base:
    """A root filesystem from Debian packages, committed as an image with `config` (buildah config flags)."""

    name: str
    packages: tuple[str, ...]
    hooks: tuple[str, ...]  # mmdebstrap --customize-hook shell commands; "$1" is the root
    config: tuple[str, ...]
    dpkg_options: tuple[str, ...] = _SLIM

    @property
    def ref(self) -> str:
        return f"localhost/kbp-base/{self.name}"


@dataclass(frozen=True)
class Default:
    """Where an image's repository is stated once: a key of a chart's values file (the repository root's)."""

    values: str  # e.g. charts/journal/values.yaml
    key: tuple[str, ...]  # e.g. ("image", "api", "repository")

    @property
    def shown(self) -> str:
        return f"{self.values}: {'.'.join(self.key)}"


@dataclass(frozen=True)
class Image:
    """One image loaded into the node: built from `dockerfile` with `base` as `base_arg`, or `base` itself.

    Its repository is the one its chart names by default (`default`), read by kbp.images.build, so an
    image loaded here is found under the name a default install asks for; or `repository`, for a
    stand-in the chart does not name by default (the Redis image).
    """

    name: str
    base: Base
    default: Default | None = None
    repository: str | None = None
    dockerfile: str | None = None  # relative to the repository root, which is the build context
    base_arg: str | None = None


_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

PYTHON = Base(
    "python",
    ("python3", "python3-pip"),
    # Like the official python image: pip installs system-wide (the build stage installs uv with it).
    ('rm -f "$1"/usr/lib/python3.*/EXTERNALLY-MANAGED',),
    ("--env", _PATH, "--cmd", "python3"),
)
NGINX = Base(
    "nginx",
    ("nginx-light",),
    (
        'rm -f "$1"/etc/nginx/sites-enabled/* "$1"/etc/nginx/conf.d/*',
        f"cat >\"$1\"/etc/nginx/nginx.conf <<'EOF'\n{NGINX_CONF}EOF",
        'mkdir -p "$1"/usr/share/nginx/html',
        'ln -sf /dev/stdout "$1"/var/log/nginx/access.log',
        'ln -sf /dev/stderr "$1"/var/log/nginx/error.log',
    ),
    ("--env", _PATH, "--user", "101:101", "--port", "8080", "--cmd", "nginx -g 'daemon off;'"),
)
REDIS = Base(
    "redis",
    # redis-tools: redis-cli for probe.sh, sentinels.sh, peers.sh; the scripts need head, sed, sort, timeout.
    ("redis-server", "redis-tools"),
    (),
    # valkey/valkey's numeric user, which the chart's securityContext runs as.
    ("--env", _PATH, "--user", "999:999", "--port", "6379", "--cmd", "redis-server"),
)

BASES = (PYTHON, NGINX, REDIS)

JOURNAL_VALUES = "charts/journal/values.yaml"
REAPER_VALUES = "deploy/reaper/values.yaml"

IMAGES = (
    Image(
        "api",
        PYTHON,
        Default(JOURNAL_VALUES, ("image", "api", "repository")),
        dockerfile="images/api/Dockerfile",
        base_arg="PYTHON_IMAGE",
    ),
    Image(
        "fileserver",
        NGINX,
        Default(JOURNAL_VALUES, ("image", "fileserver", "repository")),
        dockerfile="images/fileserver/Dockerfile",
        base_arg="NGINX_IMAGE",
    ),
    Image(
        "kbp",
        PYTHON,
        Default(REAPER_VALUES, ("image", "repository")),
        dockerfile="images/kbp/Dockerfile",
        base_arg="PYTHON_IMAGE",
    ),
    # Debian's Redis, not the chart's default Valkey: installs name it (image.redis.repository).
    Image("redis", REDIS, repository="localhost/kbp/redis"),
)
NAMES = (*(image.name for image in IMAGES), "pause")
# `kbp cluster up --real-node` loads a pause image of its own before any pod starts; this one is
# built and loaded only when named, so a build never swaps a running node's sandbox image.
DEFAULT = tuple(image.name for image in IMAGES)


def by_name(name: str) -> Image:
    for image in IMAGES:
        if image.name == name:
            return image
    raise KeyError(name)
