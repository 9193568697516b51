"""Redis URLs, parsed and checked once at start-up: `redis[s]://[[user]:password@]host[:port][/db]`.

`rediss://` means TLS (verified against `JOURNAL_REDIS_CA_FILE`, or the system's CAs). A user name
is sent with AUTH (Redis 6 ACLs). Anything the connection could not honour is refused with a
ValueError that says what was expected, never with the password in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

DEFAULT_PORT = 6379
MAX_DB = 65_535  # Redis' `databases` setting may go far above the default 16
_DB = re.compile(r"[0-9]{1,5}")
_PORT = re.compile(r"[0-9]{1,5}")


@dataclass(frozen=True)
class RedisUrl:
    host: str
    port: int
    db: int
    tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def parse_redis_url(url: str) -> RedisUrl:
    """The URL's parts, or ValueError naming what is wrong (the URL itself is not echoed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError("expected a URL like redis://host:6379/0 or rediss://host:6380/0")
    port = _port(parts.netloc.rpartition("@")[2])
    db_text = parts.path.strip("/") or "0"
    if not _DB.fullmatch(db_text) or int(db_text) > MAX_DB:
        raise ValueError(f"the database must be an integer from 0 to {MAX_DB} (redis://host:6379/0)")
    if parts.query or parts.fragment:
        raise ValueError("query parameters and fragments are not supported")
    return RedisUrl(
        host=parts.hostname,
        port=port,
        db=int(db_text),
        tls=parts.scheme == "rediss",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _port(host_port: str) -> int:
    """The port after the host (`[::1]:6380` too); ASCII digits 1..65535, or the default."""
    _, bracket, tail = host_port.rpartition("]")
    text = tail if bracket else host_port
    if ":" not in text:
        return DEFAULT_PORT
    digits = text.rsplit(":", 1)[1]
    if not _PORT.fullmatch(digits) or not 1 <= int(digits) <= 65_535:
        raise ValueError("the port must be an integer from 1 to 65535")
    return int(digits)
