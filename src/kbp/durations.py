"""Durations as people type them, in kube-janitor's grammar: one number, one unit (`45m`, `30d`, `2w`)."""

from __future__ import annotations

import datetime as dt
import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PATTERN = re.compile(r"(\d+)([smhdw])")
EXAMPLES = "45m, 12h, 30d, 2w"


def parse_duration(text: str) -> dt.timedelta:
    """`30d` -> 30 days. ValueError names the expected form."""
    match = _PATTERN.fullmatch(text.strip())
    if match is None:
        raise ValueError(f'"{text}" is not a duration (examples: {EXAMPLES})')
    return dt.timedelta(seconds=int(match[1]) * _UNITS[match[2]])


def format_duration(delta: dt.timedelta) -> str:
    """For people: the two largest non-zero units, rounded down (`29d23h`, `5h`, `0s`, `-2h30m`)."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    parts: list[str] = []
    for unit in ("d", "h", "m", "s"):
        count, seconds = divmod(seconds, _UNITS[unit])
        if count and len(parts) < 2:
            parts.append(f"{count}{unit}")
    return sign + ("".join(parts) or "0s")
