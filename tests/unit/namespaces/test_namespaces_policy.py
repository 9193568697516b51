"""The reaper's decision table, with a frozen clock: `decide(namespace, NOW, policy)`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kbp import metadata
from kbp.namespaces import ttl
from kbp.namespaces.policy import Action, Policy, decide, lifetime

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
P = Policy(own_namespace="kbp-system", warn_before=HOUR)
NO_WARNING = Policy(own_namespace="kbp-system", warn_before=timedelta(0))


def days(n: float) -> timedelta:
    return timedelta(days=n)


def ns(
    name: str = "dev-alice",
    *,
    ttl_value: str | None = None,
    expires: str | None = None,
    age: timedelta = DAY,
    managed: bool = True,
    warned: datetime | str | None = None,
    terminating: bool = False,
    finalizers: tuple[str, ...] = (),
) -> dict[str, Any]:
    annotations: dict[str, str] = {}
    if ttl_value is not None:
        annotations[metadata.TTL] = ttl_value
    if expires is not None:
        annotations[metadata.EXPIRES] = expires
    if warned is not None:
        annotations[metadata.REAP_WARNED_AT] = (
            warned if isinstance(warned, str) else ttl.format_instant(warned)
        )
    meta: dict[str, Any] = {
        "name": name,
        "creationTimestamp": ttl.format_instant(NOW - age),
        "labels": metadata.managed_selector() if managed else {},
        "annotations": annotations,
    }
    status = {"phase": "Active"}
    if terminating:
        meta["deletionTimestamp"] = ttl.format_instant(NOW - HOUR)
        status = {"phase": "Terminating"}
    return {"metadata": meta, "spec": {"finalizers": list(finalizers)}, "status": status}


@pytest.mark.parametrize(
    ("namespace", "policy", "action", "reason"),
    [
        pytest.param(ns(ttl_value="7d", age=days(8)), NO_WARNING, Action.DELETE, "expired", id="expired-ttl"),
        pytest.param(
            ns(ttl_value="7d", age=days(6)), NO_WARNING, Action.LEAVE, "not-due", id="ttl-in-future"
        ),
        pytest.param(ns(expires="2025-12-31"), NO_WARNING, Action.DELETE, "expired", id="expired-date"),
        pytest.param(ns(expires="2026-01-02"), NO_WARNING, Action.LEAVE, "not-due", id="expiry-in-future"),
        pytest.param(
            ns(ttl_value="forever", age=days(900)), NO_WARNING, Action.SKIP, "forever", id="forever"
        ),
        pytest.param(ns(age=days(900)), NO_WARNING, Action.SKIP, "no-ttl", id="no-ttl"),
        pytest.param(
            ns(ttl_value="7x", age=days(900)), NO_WARNING, Action.SKIP, "invalid-ttl", id="malformed-ttl"
        ),
        pytest.param(ns(expires="soon"), NO_WARNING, Action.SKIP, "invalid-ttl", id="malformed-expiry"),
        pytest.param(
            ns(ttl_value="1d", expires="garbage", age=days(9)),
            NO_WARNING,
            Action.SKIP,
            "invalid-ttl",
            id="one-bad-value-leaves-it-alone",
        ),
        pytest.param(
            ns(ttl_value="forever", expires="2025-06-01"),
            NO_WARNING,
            Action.DELETE,
            "expired",
            id="forever-ttl-but-past-expiry",
        ),
        pytest.param(
            ns(ttl_value="30d", expires="2025-06-01"),
            NO_WARNING,
            Action.DELETE,
            "expired",
            id="earlier-of-ttl-and-expiry",
        ),
        pytest.param(
            ns(ttl_value="1d", age=days(9), managed=False), NO_WARNING, Action.SKIP, "unmanaged", id="unowned"
        ),
        pytest.param(
            ns("default", ttl_value="1d", age=days(9)), NO_WARNING, Action.SKIP, "protected", id="default"
        ),
        pytest.param(
            ns("kube-system", ttl_value="1d", age=days(9)),
            NO_WARNING,
            Action.SKIP,
            "protected",
            id="kube-system-labelled-by-hand",
        ),
        pytest.param(
            ns("kube-node-lease", ttl_value="1s", age=days(9)),
            NO_WARNING,
            Action.SKIP,
            "protected",
            id="kube-prefix",
        ),
        pytest.param(
            ns("kbp-system", ttl_value="1d", age=days(9)),
            NO_WARNING,
            Action.SKIP,
            "protected",
            id="own-namespace",
        ),
        pytest.param(
            ns(ttl_value="1d", age=days(9), terminating=True, finalizers=("kubernetes",)),
            NO_WARNING,
            Action.SKIP,
            "terminating",
            id="terminating",
        ),
    ],
)
def test_decision_table(namespace: dict[str, Any], policy: Policy, action: Action, reason: str) -> None:
    verdict = decide(namespace, NOW, policy)
    assert (verdict.action, verdict.reason) == (action, reason), verdict.message


def test_configured_names_and_pattern_are_protected() -> None:
    policy = Policy(
        own_namespace="kbp-system",
        protected_names=frozenset({"shared-db"}),
        protected_pattern=re.compile(r"prod-.*"),
        warn_before=timedelta(0),
    )
    expired = {"ttl_value": "1d", "age": days(3)}
    assert decide(ns("shared-db", **expired), NOW, policy).reason == "protected"  # type: ignore[arg-type]
    assert decide(ns("prod-eu", **expired), NOW, policy).reason == "protected"  # type: ignore[arg-type]
    # A full match: "preprod-eu" is not "prod-.*".
    assert decide(ns("preprod-eu", **expired), NOW, policy).action is Action.DELETE  # type: ignore[arg-type]


def test_terminating_reports_finalizers_and_is_never_deleted() -> None:
    verdict = decide(
        ns(ttl_value="1d", age=days(9), terminating=True, finalizers=("kubernetes", "example.com/hold")),
        NOW,
        P,
    )
    assert verdict.action is Action.SKIP
    assert verdict.finalizers == ("kubernetes", "example.com/hold")
    assert "example.com/hold" in verdict.message


def test_invalid_ttl_message_names_the_annotation_and_the_form() -> None:
    verdict = decide(ns(ttl_value="7x"), NOW, P)
    assert metadata.TTL in verdict.message
    assert "30m, 12h, 7d" in verdict.message


# Warning before deletion: warn_before = 1h.


def test_not_yet_in_the_warning_window_is_left() -> None:
    assert decide(ns(ttl_value="1d", age=timedelta(hours=22)), NOW, P).action is Action.LEAVE


def test_inside_the_warning_window_warns() -> None:
    verdict = decide(ns(ttl_value="1d", age=timedelta(hours=23, minutes=30)), NOW, P)
    assert (verdict.action, verdict.reason) == (Action.WARN, "expiring")


def test_expired_but_never_warned_warns_instead_of_deleting() -> None:
    assert decide(ns(ttl_value="1d", age=days(30)), NOW, P).action is Action.WARN


def test_warned_waits_the_full_period_even_when_long_expired() -> None:
    verdict = decide(ns(ttl_value="1d", age=days(30), warned=NOW - timedelta(minutes=59)), NOW, P)
    assert (verdict.action, verdict.reason) == (Action.LEAVE, "warned")
    assert "1m" in verdict.message


def test_warned_long_enough_ago_and_expired_deletes() -> None:
    assert decide(ns(ttl_value="1d", age=days(30), warned=NOW - HOUR), NOW, P).action is Action.DELETE


def test_warned_in_the_window_is_deleted_at_the_later_of_deadline_and_warning_plus_period() -> None:
    # Deadline in 30 min, warned 20 min ago: deletable in 40 min (warning + 1h), not at the deadline.
    pending = decide(
        ns(ttl_value="1d", age=timedelta(hours=23, minutes=30), warned=NOW - timedelta(minutes=20)), NOW, P
    )
    assert (pending.action, pending.reason) == (Action.LEAVE, "warned")
    assert "40m" in pending.message
    # Deadline passed 30 min ago, warned an hour ago: due now.
    due = decide(ns(ttl_value="1d", age=timedelta(hours=24, minutes=30), warned=NOW - HOUR), NOW, P)
    assert due.action is Action.DELETE


def test_a_warning_for_an_earlier_deadline_does_not_count_after_an_extension() -> None:
    # Warned ten days ago for the old deadline; extended to an expiry that has now passed.
    stale = ns(expires=ttl.format_instant(NOW - timedelta(minutes=1)), warned=NOW - days(10))
    assert decide(stale, NOW, P).action is Action.WARN


def test_an_unreadable_warning_stamp_earns_a_new_warning() -> None:
    assert decide(ns(ttl_value="1d", age=days(3), warned="yesterday"), NOW, P).action is Action.WARN


def test_zero_warn_before_deletes_at_the_deadline() -> None:
    assert decide(ns(ttl_value="1d", age=days(1)), NOW, NO_WARNING).action is Action.DELETE
    assert (
        decide(ns(ttl_value="1d", age=days(1) - timedelta(seconds=1)), NOW, NO_WARNING).action is Action.LEAVE
    )


def test_lifetime_counts_the_ttl_from_creation() -> None:
    assert lifetime(ns(ttl_value="7d", age=days(2))).deadline == NOW + days(5)
