"""How fresh a cluster's answer is (pure): live now, or unreachable with the age of the last good one.

An unreachable cluster is never shown as healthy, and an old answer never without its age
(rancher/fleet#594: offline clusters kept showing Ready).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from kbp.namespaces.ttl import format_duration


class Reach(StrEnum):
    live = "live"  # answered just now
    unreachable = "unreachable"  # did not answer; what is shown is the last good answer, if any


@dataclass(frozen=True)
class Freshness:
    reach: Reach
    observed_at: datetime | None  # when the answer shown was taken; None: never answered
    age_s: float | None
    error: str | None

    @property
    def label(self) -> str:
        """`live`, `unreachable (last good answer 3m ago)`, or `unreachable (never answered)`."""
        if self.reach is Reach.live:
            return "live"
        if self.observed_at is None or self.age_s is None:
            return "unreachable (never answered)"
        return f"unreachable (last good answer {age_text(self.age_s)} ago)"


def age_text(seconds: float) -> str:
    return format_duration(timedelta(seconds=int(seconds)))


def judge(
    *, now: datetime, answered_at: datetime | None, error: str | None, cached_at: datetime | None
) -> Freshness:
    """Live when the cluster answered now; otherwise unreachable, aged by the cached answer."""
    if error is None and answered_at is not None:
        return Freshness(Reach.live, answered_at, max(0.0, (now - answered_at).total_seconds()), None)
    age = max(0.0, (now - cached_at).total_seconds()) if cached_at else None
    return Freshness(Reach.unreachable, cached_at, age, error or "no answer")
