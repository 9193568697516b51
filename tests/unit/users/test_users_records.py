"""`user list` reads its records from kbp's RoleBindings and puts the soonest expiry first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kbp import metadata
from kbp.namespaces.ttl import format_duration
from kbp.users import plans, records

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
WEEK = dt.timedelta(days=7)


def _binding(name: str, expires: dt.datetime) -> dict[str, Any]:
    spec = plans.UserSpec(name, "payments", ("dev",), f"dev-{name}", "small", dt.timedelta(days=30))
    return plans.contents(spec, expires)[-1]


def test_a_binding_round_trips_to_its_record() -> None:
    record = records.from_binding(_binding("alice", NOW + WEEK))
    assert record == records.UserRecord("alice", "payments", "dev-alice", ("dev",), NOW + WEEK, "small")


def test_objects_without_the_user_label_are_not_users() -> None:
    assert records.from_binding({"metadata": {"name": "x", "labels": {}}}) is None


def test_a_missing_or_garbled_expiry_is_unknown_and_flagged() -> None:
    binding = _binding("bob", NOW)
    binding["metadata"]["annotations"][metadata.CERT_EXPIRES] = "soon"
    record = records.from_binding(binding)
    assert record is not None
    assert record.cert_expires is None
    assert records.row(record, now=NOW, window=WEEK)["expiring"]


def test_soonest_first_and_flags_within_the_window() -> None:
    found = [
        records.from_binding(_binding(n, NOW + d))
        for n, d in [
            ("carol", dt.timedelta(days=20)),
            ("alice", -dt.timedelta(hours=1)),
            ("bob", dt.timedelta(days=3)),
        ]
    ]
    ordered = records.expiring_first(r for r in found if r is not None)
    rows = [records.row(r, now=NOW, window=WEEK) for r in ordered]
    assert [(r["name"], r["expiring"], r["expired"]) for r in rows] == [
        ("alice", True, True),
        ("bob", True, False),
        ("carol", False, False),
    ]
    assert [r["expiresIn"] for r in rows] == [
        format_duration(-dt.timedelta(hours=1)),
        format_duration(dt.timedelta(days=3)),
        format_duration(dt.timedelta(days=20)),
    ]


def test_oidc_users_and_groups_read_back_with_their_kind() -> None:
    from kbp import metadata  # noqa: PLC0415
    from kbp.users import records  # noqa: PLC0415

    oidc = {
        "metadata": {
            "namespace": "dev-alice",
            "labels": {metadata.USER: "alice", metadata.TEAM: "payments"},
            "annotations": {metadata.IDENTITY: "dex:alice@example.com"},
        }
    }
    group = {
        "metadata": {
            "namespace": "team-pay",
            "labels": {metadata.TEAM_GROUP: "pay"},
            "annotations": {metadata.IDENTITY: "dex:payments-devs"},
        }
    }
    a, g = records.from_binding(oidc), records.from_binding(group)
    assert a is not None
    assert g is not None
    assert (a.kind, a.identity) == ("oidc", "dex:alice@example.com")
    assert (g.kind, g.name, g.identity) == ("group", "pay", "dex:payments-devs")
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    row = records.row(a, now=now, window=dt.timedelta(days=7))
    assert not row["expiring"]  # no certificate, nothing to renew
    assert not row["expired"]
