"""Freshness and the status view: an unreachable cluster is never healthy, never stale unsaid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kbp.fleet import freshness, view
from kbp.release.rollout import Workload

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def answer(**release: Any) -> dict[str, Any]:
    row = {"release": "journal/journal", "kind": "journal", "pinned": "v1", "deployed": "v1",
           "state": "in-sync", "rollout": "healthy", "reason": ""}  # fmt: skip
    row.update(release)
    return {"observedAt": NOW.isoformat(), "releases": [row], "configVersion": 3,
            "expiringUsers": [], "expiringNamespaces": ["namespace dev-a: 2h left"]}  # fmt: skip


def live() -> freshness.Freshness:
    return freshness.judge(now=NOW, answered_at=NOW, error=None, cached_at=None)


def test_a_live_answer_is_live() -> None:
    fresh = live()
    assert fresh.reach is freshness.Reach.live
    assert fresh.label == "live"


def test_an_unreachable_cluster_carries_the_age_of_its_last_good_answer() -> None:
    fresh = freshness.judge(
        now=NOW, answered_at=None, error="connection refused", cached_at=NOW - timedelta(minutes=3, seconds=5)
    )
    assert fresh.reach is freshness.Reach.unreachable
    assert fresh.age_s == 185
    assert fresh.label == "unreachable (last good answer 3m5s ago)"


def test_a_cluster_never_answered_says_so() -> None:
    fresh = freshness.judge(now=NOW, answered_at=None, error="refused", cached_at=None)
    assert fresh.label == "unreachable (never answered)"
    item = view.item("c", None, fresh)
    assert not item["healthy"]
    assert view.rows(item) == [
        {"cluster": "c", "configVersion": None, "expiring": None, "answer": "unreachable (never answered)",
         "release": "-", "state": "unknown", "rollout": "unknown"}
    ]  # fmt: skip


def test_a_cached_healthy_answer_is_never_shown_healthy() -> None:
    fresh = freshness.judge(now=NOW, answered_at=None, error="refused", cached_at=NOW - timedelta(hours=1))
    item = view.item("c", answer(), fresh)
    assert not item["healthy"]
    assert item["stale"]
    assert not item["reachable"]
    assert item["ageSeconds"] == 3600
    (row,) = view.rows(item)
    assert row["rollout"] == "unknown"
    assert row["state"] == "in-sync?"
    assert row["answer"] == "unreachable (last good answer 1h ago)"
    assert row["deployed"] == "v1", "the last versions seen are still shown"


@pytest.mark.parametrize(
    ("release", "healthy"),
    [
        pytest.param({}, True, id="in-sync-and-ready"),
        pytest.param({"state": "drifted"}, False, id="drifted"),
        pytest.param({"state": "missing", "rollout": "-"}, False, id="missing"),
        pytest.param({"rollout": "progressing: deployment/x 1/2"}, False, id="progressing"),
        pytest.param({"state": "disabled", "rollout": "-"}, True, id="disabled"),
    ],
)
def test_live_health_needs_every_release_as_pinned_and_ready(release: dict[str, Any], healthy: bool) -> None:
    assert view.is_healthy(answer(**release), live()) is healthy


def workload(name: str, *, done: bool, failed: str | None = None, ready: int = 2) -> Workload:
    return Workload("Deployment", name, ready, 2, done, failed, ("r/journal-api:v1",), {})


def test_rollout_health_names_the_workload_that_holds_it_back() -> None:
    assert view.rollout_health([]) == "-"
    assert view.rollout_health([workload("a", done=True)]) == "healthy"
    assert view.rollout_health([workload("a", done=True), workload("b", done=False, ready=1)]) == (
        "progressing: deployment/b 1/2"
    )
    assert (
        view.rollout_health([workload("a", done=False, failed="deadline")])
        == "failed: deployment/a: deadline"
    )


@pytest.mark.parametrize(
    ("image", "tag"),
    [
        ("ghcr.io/x/journal-api:v1.2.3-abcd", "v1.2.3-abcd"),
        ("localhost:5000/journal-api:v1@sha256:00", "v1"),
        ("journal-api", None),
    ],
)
def test_image_tag(image: str, tag: str | None) -> None:
    assert view.image_tag(image) == tag


def test_journal_state_compares_the_deployed_tag_with_the_pin() -> None:
    assert view.journal_state("v2", "v2") == ("in-sync", "")
    assert view.journal_state("v2", "v1") == ("drifted", "tag v1 deployed, v2 pinned")
    assert view.journal_state("v2", None) == ("missing", "not installed")
