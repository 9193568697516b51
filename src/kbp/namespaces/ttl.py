"""kube-janitor's lifetime grammar: `janitor/ttl` durations and `janitor/expires` instants.

A TTL is one number and one unit (`30s`, `90m`, `12h`, `7d`, `2w`) or `forever`; an expiry is RFC 3339
(`2026-12-31T18:00:00Z`, any offset) or a plain date (`2026-12-31`, midnight UTC). Parsers raise
`LifetimeError`, whose message names the value and the expected form, for the caller to prefix with the
object's name.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Final

FOREVER: Final = "forever"
_DURATION = re.compile(r"(?P<amount>\d+)(?P<unit>[smhdw])")
_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# RFC 3339 with a mandatory offset; kube-janitor's `%Y-%m-%dT%H:%M` (no seconds, no zone) reads as UTC.
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?")
_MAX_SECONDS: Final = 100 * 365 * 86400  # beyond a century is a typo, not a lifetime


class LifetimeError(ValueError):
    """A TTL, expiry or duration that does not parse; the message says what is expected."""


def parse_duration(value: str) -> timedelta:
    """`7d` -> 7 days. One unit only, as kube-janitor accepts; `0s` is a valid zero."""
    match = _DURATION.fullmatch(value.strip())
    if match is None:
        raise LifetimeError(f'"{value}" is not a duration (one number and a unit s/m/h/d/w: 30m, 12h, 7d)')
    seconds = int(match["amount"]) * _UNIT_SECONDS[match["unit"]]
    if seconds > _MAX_SECONDS:
        raise LifetimeError(f'"{value}" is longer than a century (use "forever" to never expire)')
    return timedelta(seconds=seconds)


def parse_ttl(value: str) -> timedelta | None:
    """A `janitor/ttl` value: a positive duration, or None for `forever`."""
    if value.strip() == FOREVER:
        return None
    ttl = parse_duration(value)
    if not ttl:
        raise LifetimeError(f'"{value}" is zero (a TTL must be positive, e.g. 7d, or "forever")')
    return ttl


def parse_expires(value: str) -> datetime:
    """A `janitor/expires` value: an aware UTC instant."""
    text = value.strip()
    try:
        if _DATE.fullmatch(text):
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        if _INSTANT.fullmatch(text):
            instant = datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
            return (instant if instant.tzinfo else instant.replace(tzinfo=UTC)).astimezone(UTC)
    except ValueError:
        pass  # the pattern matched but the calendar did not (2026-02-30); same message as below
    raise LifetimeError(
        f'"{value}" is not a date or time (RFC 3339 like 2026-12-31T18:00:00Z, or a date like 2026-12-31)'
    )


def format_instant(instant: datetime) -> str:
    """RFC 3339 in UTC to the second: what kbp writes into annotations."""
    return instant.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def format_duration(delta: timedelta) -> str:
    """A short human duration, largest two units: `3d4h`, `25m`, `0s`; negative reads `-2h5m`."""
    seconds = int(delta.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    parts: list[str] = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
        if len(parts) == 2:
            break
    return sign + "".join(parts)
