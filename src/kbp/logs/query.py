"""What to ask for and how to print it: pure, no I/O.

The store is VictoriaLogs (deploy/cluster-services/charts/logs): vlagent stores each line's JSON
keys as fields beside `kubernetes.pod_namespace`, `kubernetes.pod_name` and the pod's labels as
`kubernetes.pod_labels.<label>`. The namespace and release scope go in `extra_filters`, which the
store ANDs with the query, so a query string cannot widen them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from kbp.namespaces.ttl import LifetimeError, parse_duration

NAMESPACE_FIELD = "kubernetes.pod_namespace"
POD_FIELD = "kubernetes.pod_name"
CONTAINER_FIELD = "kubernetes.container_name"
RELEASE_LABEL = "app.kubernetes.io/instance"
RELEASE_FIELD = f"kubernetes.pod_labels.{RELEASE_LABEL}"
# The journal's own keys, in the order a person reads them after the time and pod.
SHOWN = ("level", "method", "route", "status", "duration_ms", "request_id")
_HIDDEN = {"_time", "_msg", "_stream", "_stream_id", "event", "timestamp", *SHOWN}


class Source(StrEnum):
    auto = "auto"  # the store when it is there and readable, else the pods
    store = "store"
    pods = "pods"


class QueryError(ValueError):
    """A --since or query that cannot be used; the message names it."""


@dataclass(frozen=True)
class Scope:
    """Whose logs: one release's pods in one namespace."""

    namespace: str
    release: str

    @property
    def pod_selector(self) -> str:
        return f"{RELEASE_LABEL}={self.release}"


def since(value: str) -> timedelta:
    """`--since 15m` -> 15 minutes (s, m, h, d, w); more than zero."""
    try:
        delta = parse_duration(value)
    except LifetimeError as exc:
        raise QueryError(f"--since: {exc}") from exc
    if not delta:
        raise QueryError(f'--since: "{value}" must be more than zero')
    return delta


def store_params(scope: Scope, query: str, *, since: timedelta, limit: int, follow: bool) -> dict[str, str]:
    """The form of /select/logsql/query (or /tail when following)."""
    logsql = query.strip() or "*"
    scope_filter = json.dumps({NAMESPACE_FIELD: scope.namespace, RELEASE_FIELD: scope.release})
    seconds = f"{int(since.total_seconds())}s"
    params = {"query": logsql, "extra_filters": scope_filter}
    if follow:
        params["start_offset"] = seconds  # tail returns this much history first, then live lines
    else:
        # Newest first from the store, so `limit` keeps the latest lines; printed oldest first.
        params.update({"start": seconds, "limit": str(limit), "query": f"{logsql} | sort by (_time desc)"})
    return params


def store_entry(line: str) -> dict[str, Any] | None:
    """One JSON line of the store's answer, or None for a blank line."""
    line = line.strip()
    if not line:
        return None
    try:
        entry = json.loads(line)
    except json.JSONDecodeError as exc:
        raise QueryError(f"the log store answered something that is not JSON: {line[:200]!r}") from exc
    if not isinstance(entry, dict):
        raise QueryError(f"the log store answered {type(entry).__name__}, not an object: {line[:200]!r}")
    return entry


def pod_entry(pod: str, container: str, line: str) -> dict[str, Any]:
    """A pod's own log line (with the kubelet's RFC 3339 timestamp in front) as a store-like entry."""
    stamp, _, text = line.partition(" ")
    entry: dict[str, Any] = {}
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, dict):
            entry.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in parsed.items()})
    entry.setdefault("_msg", entry.get("event", text))
    entry.update({"_time": stamp, POD_FIELD: pod, CONTAINER_FIELD: container})
    return entry


_WORD = re.compile(r"\S+")


def matches(entry: dict[str, Any], query: str) -> bool:
    """Without a store, a query is words that must all appear in the line (`field:value` too)."""
    words = _WORD.findall(query)
    if not words or words == ["*"]:
        return True
    text = " ".join(f"{k}:{v} {v}" for k, v in entry.items())
    return all(word.strip('"') in text for word in words)


def render(entry: dict[str, Any]) -> str:
    """`time pod level method route status duration_ms request_id message key=value...`"""
    parts = [str(entry.get("_time", "")), str(entry.get(POD_FIELD, "?"))]
    parts += [str(entry[key]) for key in SHOWN if entry.get(key) not in (None, "")]
    parts.append(str(entry.get("_msg") or entry.get("event") or ""))
    extra = sorted(
        (k, v)
        for k, v in entry.items()
        if k not in _HIDDEN and not k.startswith("kubernetes.") and v not in (None, "")
    )
    parts += [f"{k}={v}" for k, v in extra]
    return " ".join(p for p in parts if p)
