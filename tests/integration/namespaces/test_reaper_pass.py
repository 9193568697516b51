"""A real reap pass on the control plane: exactly the expired, kbp-owned, unprotected namespaces go."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from kbp import kube, metadata
from kbp.namespaces.metrics import ReaperMetrics
from kbp.namespaces.policy import Policy
from support.namespaces import PAST, MakeNamespace, is_deleting, only, results, run_pass


@pytest.fixture
def kube_system_labelled(api: kube.KubeClient) -> Iterator[str]:
    """kube-system with kbp's label and a past expiry added by hand, restored afterwards."""
    mark = {metadata.MANAGED_BY: metadata.MANAGED_BY_KBP}
    kube.patch(
        api,
        "v1",
        "Namespace",
        "kube-system",
        {"metadata": {"labels": mark, "annotations": {metadata.EXPIRES: PAST}}},
    )
    yield "kube-system"
    undo = {"metadata": {"labels": {metadata.MANAGED_BY: None}, "annotations": {metadata.EXPIRES: None}}}
    kube.patch(api, "v1", "Namespace", "kube-system", undo)


def test_a_real_run_deletes_exactly_the_expired_owned_unprotected(
    api: kube.KubeClient, make_namespace: MakeNamespace, prefix: str, kube_system_labelled: str
) -> None:
    expired = {make_namespace("old-expiry", expires=PAST), make_namespace("old-ttl", ttl="1h")}
    adversarial = {
        make_namespace("listed", expires=PAST),  # protected by name (--protect)
        make_namespace("regex-keep", expires=PAST),  # protected by the regex
        make_namespace("own", expires=PAST),  # the reaper's own namespace
        make_namespace("unowned", expires=PAST, managed=False),
        make_namespace("bad-ttl", ttl="7x"),
        make_namespace("bad-expiry", expires="next tuesday"),
        make_namespace("forever", ttl="forever"),
        make_namespace("future", expires="2099-01-01"),
        make_namespace("fresh-ttl", ttl="7d"),
    }
    stuck = make_namespace("stuck", expires=PAST, finalizers=("example.com/hold",))
    kube.delete(api, "v1", "Namespace", stuck)  # Terminating until the test's finalizer goes
    kube.wait_for(lambda: is_deleting(api, stuck) or None, timeout=30, what=f"{stuck} terminating")
    policy = Policy(
        own_namespace=prefix + "own",
        protected_names=frozenset({prefix + "listed"}),
        # Everything outside this test is protected, except kube-system and default: only the
        # built-in rules guard those two. Names ending in -keep are protected by the regex.
        protected_pattern=re.compile(f"(?!{re.escape(prefix)}|kube-system$|default$).*|.*-keep"),
        warn_before=timedelta(0),
    )
    metrics = ReaperMetrics()
    at = datetime.now(UTC) + timedelta(hours=2)  # the 1h TTL has run out by then

    report = run_pass(api, policy, apply=True, at=at, metrics=metrics)

    outcome = results(report, prefix)
    assert {name for name, result in outcome.items() if result == "deleted"} == expired
    assert all(is_deleting(api, name) for name in expired)
    for name in adversarial | {"kube-system", "default"}:
        current = kube.get(api, "v1", "Namespace", name)
        assert not current["metadata"].get("deletionTimestamp"), f"{name} was deleted"
    # The stuck one is reported with its finalizer, which stays.
    stuck_outcome = next(o for o in report.outcomes if o.verdict.name == stuck)
    assert stuck_outcome.verdict.reason == "terminating"
    assert "example.com/hold" in stuck_outcome.verdict.finalizers
    assert kube.get(api, "v1", "Namespace", stuck)["metadata"]["finalizers"] == ["example.com/hold"]
    system = next(o for o in report.outcomes if o.verdict.name == "kube-system")
    assert (system.result, system.verdict.reason) == ("skipped", "protected")  # listed, refused by name
    exposition = metrics.exposition()
    assert "kbp_reaper_namespaces_deleted_total 2.0" in exposition
    assert 'kbp_reaper_namespaces_skipped_total{reason="invalid-ttl"} 2.0' in exposition
    assert 'kbp_reaper_namespaces_skipped_total{reason="terminating"} 1.0' in exposition


def test_dry_run_changes_nothing(api: kube.KubeClient, make_namespace: MakeNamespace, prefix: str) -> None:
    names = {make_namespace(f"dry-{i}", expires=PAST) for i in range(3)}
    report = run_pass(api, only(prefix, warn_before=timedelta(hours=1)), apply=False)
    assert set(results(report, prefix).values()) == {"would-warn"}
    report = run_pass(api, only(prefix), apply=False)
    assert {results(report, prefix)[n] for n in names} == {"would-delete"}
    for name in names:
        current = kube.get(api, "v1", "Namespace", name)
        assert not current["metadata"].get("deletionTimestamp")
        assert metadata.REAP_WARNED_AT not in (current["metadata"].get("annotations") or {})


def test_the_cap_deletes_the_most_overdue_and_says_how_many_wait(
    api: kube.KubeClient, make_namespace: MakeNamespace, prefix: str
) -> None:
    oldest = make_namespace("c-oldest", expires="2024-01-01")
    others = {make_namespace("c-mid", expires="2025-01-01"), make_namespace("c-new", expires="2025-06-01")}
    report = run_pass(api, only(prefix), apply=True, max_deletions=1)
    assert (report.due, report.capped) == (3, 2)
    assert results(report, prefix) == {oldest: "deleted", **dict.fromkeys(others, "capped")}
    assert is_deleting(api, oldest)
    assert not any(is_deleting(api, name) for name in others)


def test_it_warns_then_waits_then_deletes(
    api: kube.KubeClient, make_namespace: MakeNamespace, prefix: str
) -> None:
    name = make_namespace("warn-me", expires=PAST)
    policy = only(prefix, warn_before=timedelta(hours=1))
    now = datetime.now(UTC)

    first = run_pass(api, policy, apply=True, at=now)
    assert results(first, prefix) == {name: "warned"}
    annotations = kube.get(api, "v1", "Namespace", name)["metadata"]["annotations"]
    assert metadata.REAP_WARNED_AT in annotations
    events = kube.list_objects(api, "v1", "Event", name)
    assert [(e["reason"], e["type"], e["involvedObject"]["name"]) for e in events] == [
        ("ReapScheduled", "Warning", name)
    ]
    # Long expired, but warned just now: it waits the full hour.
    second = run_pass(api, policy, apply=True, at=now + timedelta(minutes=30))
    assert results(second, prefix) == {name: "left"}
    assert not is_deleting(api, name)
    third = run_pass(api, policy, apply=True, at=now + timedelta(hours=1, seconds=1))
    assert results(third, prefix) == {name: "deleted"}
    assert is_deleting(api, name)
