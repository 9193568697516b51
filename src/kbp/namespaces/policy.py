"""The reaper's decision, pure: `decide(namespace, now, policy) -> Verdict`.

It never lists, deletes or logs; `reaper.py` does that. The order of the checks is the safety argument:
a protected name wins over everything, then kbp's label, then a deletion already under way, then the
lifetime metadata, where anything unreadable leaves the namespace alone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from kbp import metadata
from kbp.namespaces import ttl

ALWAYS_PROTECTED = frozenset({"default"})
PROTECTED_PREFIX = "kube-"


class Action(StrEnum):
    DELETE = "delete"
    WARN = "warn"  # post an Event and stamp REAP_WARNED_AT; delete once warn_before has passed
    LEAVE = "leave"  # kbp's and valid, not due yet
    SKIP = "skip"  # out of the reaper's hands; `reason` says why


@dataclass(frozen=True)
class Policy:
    own_namespace: str  # where the reaper runs: never reaped
    protected_names: frozenset[str] = frozenset()
    protected_pattern: re.Pattern[str] | None = None  # full match protects
    warn_before: timedelta = timedelta(hours=1)  # zero turns the warning off


@dataclass(frozen=True)
class Lifetime:
    """What a namespace's TTL metadata says: a deadline, `forever`, nothing, or a problem."""

    deadline: datetime | None = None
    forever: bool = False
    problem: str | None = None  # why the metadata is unreadable


@dataclass(frozen=True)
class Verdict:
    name: str
    action: Action
    reason: str  # stable kebab-case, a metric label: expired, protected, invalid-ttl, ...
    message: str  # for people
    deadline: datetime | None = None
    finalizers: tuple[str, ...] = field(default=())


def is_protected(name: str, policy: Policy) -> bool:
    return (
        name in ALWAYS_PROTECTED
        or name.startswith(PROTECTED_PREFIX)
        or name == policy.own_namespace
        or name in policy.protected_names
        or (policy.protected_pattern is not None and policy.protected_pattern.fullmatch(name) is not None)
    )


def is_managed(namespace: Mapping[str, Any]) -> bool:
    labels = namespace.get("metadata", {}).get("labels") or {}
    return bool(labels.get(metadata.MANAGED_BY) == metadata.MANAGED_BY_KBP)


def is_terminating(namespace: Mapping[str, Any]) -> bool:
    return bool(
        namespace.get("metadata", {}).get("deletionTimestamp")
        or namespace.get("status", {}).get("phase") == "Terminating"
    )


def finalizers(namespace: Mapping[str, Any]) -> tuple[str, ...]:
    """Both kinds: `spec.finalizers` (the namespace controller's) and `metadata.finalizers`."""
    spec = namespace.get("spec", {}).get("finalizers") or []
    meta = namespace.get("metadata", {}).get("finalizers") or []
    return tuple(str(f) for f in [*spec, *meta])


def lifetime(namespace: Mapping[str, Any]) -> Lifetime:
    """The earlier of creation + `janitor/ttl` and `janitor/expires`; `forever` only if nothing is finite."""
    meta = namespace.get("metadata", {})
    annotations = meta.get("annotations") or {}
    raw_ttl, raw_expires = annotations.get(metadata.TTL), annotations.get(metadata.EXPIRES)
    if raw_ttl is None and raw_expires is None:
        return Lifetime()
    deadlines: list[datetime] = []
    try:
        if raw_ttl is not None and (duration := ttl.parse_ttl(str(raw_ttl))) is not None:
            deadlines.append(_created(meta) + duration)
    except ttl.LifetimeError as exc:
        return Lifetime(problem=f"{metadata.TTL} {exc}")
    try:
        if raw_expires is not None:
            deadlines.append(ttl.parse_expires(str(raw_expires)))
    except ttl.LifetimeError as exc:
        return Lifetime(problem=f"{metadata.EXPIRES} {exc}")
    if not deadlines:
        return Lifetime(forever=True)
    return Lifetime(deadline=min(deadlines))


def _created(meta: Mapping[str, Any]) -> datetime:
    value = meta.get("creationTimestamp")
    if isinstance(value, datetime):
        return value
    try:
        return ttl.parse_expires(str(value))
    except ttl.LifetimeError as exc:
        raise ttl.LifetimeError(
            f'"{value}": creationTimestamp is unreadable, so a TTL has no origin'
        ) from exc


def warned_at(namespace: Mapping[str, Any]) -> datetime | None:
    """When the reaper warned, or None (absent or unreadable: an unreadable stamp earns a new warning)."""
    value = (namespace.get("metadata", {}).get("annotations") or {}).get(metadata.REAP_WARNED_AT)
    if value is None:
        return None
    try:
        return ttl.parse_expires(str(value))
    except ttl.LifetimeError:
        return None


def decide(namespace: Mapping[str, Any], now: datetime, policy: Policy) -> Verdict:
    name = str(namespace.get("metadata", {}).get("name", ""))
    out_of_scope = _out_of_scope(name, namespace, policy)
    if out_of_scope is not None:
        return out_of_scope
    life = lifetime(namespace)
    if life.problem is not None:
        return Verdict(name, Action.SKIP, "invalid-ttl", f"{life.problem}; left alone")
    if life.forever:
        return Verdict(name, Action.SKIP, "forever", f"{metadata.TTL} is forever")
    if life.deadline is None:
        return Verdict(name, Action.SKIP, "no-ttl", f"no {metadata.TTL} or {metadata.EXPIRES}")
    return _by_deadline(name, life.deadline, warned_at(namespace), now, policy.warn_before)


def _out_of_scope(name: str, namespace: Mapping[str, Any], policy: Policy) -> Verdict | None:
    """Protected, not kbp's, or already being deleted: whatever the TTL says."""
    if is_protected(name, policy):
        return Verdict(name, Action.SKIP, "protected", "protected name: never reaped")
    if not is_managed(namespace):
        return Verdict(name, Action.SKIP, "unmanaged", f"no {metadata.MANAGED_BY}={metadata.MANAGED_BY_KBP}")
    if is_terminating(namespace):
        held = finalizers(namespace)
        since = namespace.get("metadata", {}).get("deletionTimestamp") or "unknown"
        message = f"terminating since {since}; finalizers: {', '.join(held) or 'none'} (never removed)"
        return Verdict(name, Action.SKIP, "terminating", message, finalizers=held)
    return None


def _by_deadline(
    name: str, deadline: datetime, warned: datetime | None, now: datetime, warn_before: timedelta
) -> Verdict:
    left = ttl.format_duration(deadline - now)
    if not warn_before:
        if now >= deadline:
            return Verdict(name, Action.DELETE, "expired", f"expired {left[1:]} ago", deadline)
        return Verdict(name, Action.LEAVE, "not-due", f"expires in {left}", deadline)
    if now < deadline - warn_before:
        return Verdict(name, Action.LEAVE, "not-due", f"expires in {left}", deadline)
    # A warning counts only if it was given for this deadline: after an extension, warn again.
    if warned is None or warned < deadline - warn_before:
        when = f"expired {left[1:]} ago" if now >= deadline else f"expires in {left}"
        return Verdict(name, Action.WARN, "expiring", f"{when}; warning now", deadline)
    delete_at = max(deadline, warned + warn_before)
    if now >= delete_at:
        return Verdict(
            name, Action.DELETE, "expired", f"expired, warned at {ttl.format_instant(warned)}", deadline
        )
    wait = ttl.format_duration(delete_at - now)
    return Verdict(name, Action.LEAVE, "warned", f"warned; deletable in {wait}", deadline)
