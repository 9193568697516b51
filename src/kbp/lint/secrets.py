"""What looks like a secret: key names, well-known token shapes, credentials inside config text."""

from __future__ import annotations

import itertools
import re

_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
SECRET_WORDS = frozenset(
    {"password", "passwd", "pwd", "secret", "token", "apikey", "credential", "credentials", "passphrase"}
)
SECRET_PAIRS = frozenset(
    {("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key"), ("auth", "key")}
)
# A name ending in one of these points *at* a secret (a file, a URL, a length), it is not one.
POINTER_WORDS = frozenset(
    {"file", "path", "dir", "url", "uri", "endpoint", "name", "ttl", "length", "size", "header", "type"}
    | {"enabled", "ref", "key"}
)
TOKEN_SHAPES = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),  # GitHub tokens
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),  # Slack tokens
    re.compile(r"\bsk_live_[A-Za-z0-9]{16,}"),  # Stripe live keys
    re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}"),  # JWTs
    re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]{3,}@"),  # URL with user:password
)
CONFIG_ASSIGNMENT = re.compile(
    r"(?im)^\s*(?:export\s+)?(requirepass|masterauth|[\w.-]*(?:password|passwd|secret|token|api[_-]?key)[\w.-]*)"
    r"\s*(?:[=:]\s*|\s+)(?P<value>\S.*?)\s*$"
)
# Values that stand for a secret without being one: $VAR, ${VAR}, $(VAR), {{ tmpl }}, <fill-me>, ***,
# and a shell command substitution, which reads the value at run time (`pw=$(cat /run/secret)`).
PLACEHOLDER = re.compile(
    r"^(?:\"?\$\{?[\w.]+\}?\"?|\$\([\w.]+\)|\"?\$\(.*\)\"?|\{\{.*\}\}|<[^>]*>|%\(?\w+\)?s?|\"\"|''|\*+|x+|changeme|)$",
    re.IGNORECASE,
)


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(name)]


def is_secret_name(name: str) -> bool:
    words = _words(name)
    if not words or words[-1] in POINTER_WORDS - {"key"}:
        return False
    if any(w in SECRET_WORDS for w in words):
        return words[-1] not in POINTER_WORDS or words[-1] == "key"
    return any(pair in SECRET_PAIRS for pair in itertools.pairwise(words))


def is_placeholder(value: str) -> bool:
    return bool(PLACEHOLDER.match(value.strip()))


def token_shape(value: str) -> str | None:
    """The kind of credential ``value`` contains, if it has a well-known shape."""
    for pattern in TOKEN_SHAPES:
        if pattern.search(value):
            return "private key" if "PRIVATE" in pattern.pattern else "credential"
    return None


def config_assignment(text: str) -> str | None:
    """The setting name of a literal credential inside config file text (redis.conf, .env...)."""
    for match in CONFIG_ASSIGNMENT.finditer(text):
        setting = match.group(1)
        # `server_tokens off` (NGINX) matches the loose pattern but names no credential.
        if setting.lower() not in ("requirepass", "masterauth") and not is_secret_name(setting):
            continue
        if not is_placeholder(match["value"].strip("\"'")):
            return setting
    return None
