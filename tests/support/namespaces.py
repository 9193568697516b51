"""Helpers for reaper integration tests: scoped policies and one real pass with a chosen clock."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from kbp import kube
from kbp.namespaces.metrics import ReaperMetrics
from kbp.namespaces.policy import Policy
from kbp.namespaces.reaper import Options, Report, reap

PAST = "2025-01-01"  # an expiry long gone
MakeNamespace = Callable[..., str]  # the make_namespace fixture


def only(prefix: str, **changes: Any) -> Policy:
    """A policy that protects every name outside this test's prefix (a regex with a negative lookahead),
    so a test's pass never touches what other tests made."""
    fields: dict[str, Any] = {
        "own_namespace": "kbp-system",
        "protected_pattern": re.compile(f"(?!{re.escape(prefix)}).*"),
        "warn_before": timedelta(0),
    }
    fields.update(changes)
    return Policy(**fields)


def run_pass(
    client: kube.KubeClient,
    policy: Policy,
    *,
    apply: bool,
    max_deletions: int = 10,
    at: datetime | None = None,
    metrics: ReaperMetrics | None = None,
) -> Report:
    """One real pass against the cluster; `at` sets the reaper's clock (the namespaces stay real)."""
    clock = at or datetime.now(UTC)
    return reap(
        client,
        policy=policy,
        options=Options(
            apply=apply, max_deletions=max_deletions, page_size=2
        ),  # pages of 2: paging is exercised
        now=lambda: clock,
        metrics=metrics or ReaperMetrics(),
        log=io.StringIO(),
    )


def results(report: Report, prefix: str) -> dict[str, str]:
    """Name -> result for this test's namespaces (a pass also reports others' as protected)."""
    return {o.verdict.name: o.result for o in report.outcomes if o.verdict.name.startswith(prefix)}


def is_deleting(client: kube.KubeClient, name: str) -> bool:
    current = kube.find(client, "v1", "Namespace", name)
    return current is None or bool(current["metadata"].get("deletionTimestamp"))
