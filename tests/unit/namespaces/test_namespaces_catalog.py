"""`kbp ns list` rows: time left from a frozen clock, and what an unreadable TTL shows."""

from __future__ import annotations

from datetime import UTC, datetime

from kbp import metadata
from kbp.namespaces.catalog import row

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def namespace(**annotations: str) -> dict[str, object]:
    return {
        "metadata": {
            "name": "dev-alice",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {**metadata.managed_selector(), metadata.OWNER: "alice", metadata.TEAM: "a"},
            "annotations": annotations,
        },
        "status": {"phase": "Active"},
    }


def test_time_left_from_the_ttl() -> None:
    item = row(namespace(**{metadata.TTL: "1d"}), NOW)
    assert (item["left"], item["secondsLeft"], item["deadline"]) == ("12h", 43200, "2026-01-02T00:00:00Z")
    assert (item["owner"], item["team"]) == ("alice", "a")


def test_expired_shows_expired_with_negative_seconds() -> None:
    item = row(namespace(**{metadata.TTL: "1h"}), NOW)
    assert (item["left"], item["secondsLeft"]) == ("expired", -39600)


def test_forever_and_invalid_have_no_deadline() -> None:
    assert row(namespace(**{metadata.TTL: "forever"}), NOW)["left"] == "forever"
    invalid = row(namespace(**{metadata.TTL: "7x"}), NOW)
    assert (invalid["left"], invalid["secondsLeft"]) == ("invalid", None)
    assert metadata.TTL in invalid["problem"]
