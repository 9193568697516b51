"""kube-janitor's grammar: single-unit durations, `forever`, RFC 3339 instants and plain dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kbp.namespaces import ttl


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("30s", timedelta(seconds=30), id="seconds"),
        pytest.param("90m", timedelta(minutes=90), id="minutes"),
        pytest.param("12h", timedelta(hours=12), id="hours"),
        pytest.param("7d", timedelta(days=7), id="days"),
        pytest.param("2w", timedelta(weeks=2), id="weeks"),
        pytest.param(" 7d ", timedelta(days=7), id="surrounding-space"),
    ],
)
def test_ttl_units(value: str, expected: timedelta) -> None:
    assert ttl.parse_ttl(value) == expected


def test_forever_means_no_deadline() -> None:
    assert ttl.parse_ttl("forever") is None


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("7x", id="unknown-unit"),
        pytest.param("1d12h", id="two-units"),
        pytest.param("7", id="no-unit"),
        pytest.param("d", id="no-number"),
        pytest.param("-1d", id="negative"),
        pytest.param("1.5h", id="fraction"),
        pytest.param("7D", id="upper-case-unit"),
        pytest.param("", id="empty"),
        pytest.param("Forever", id="forever-capitalised"),
        pytest.param("99999w", id="beyond-a-century"),
    ],
)
def test_bad_ttls_name_the_value_and_the_form(value: str) -> None:
    with pytest.raises(ttl.LifetimeError) as err:
        ttl.parse_ttl(value)
    assert f'"{value}"' in str(err.value)


def test_zero_is_a_duration_but_not_a_ttl() -> None:
    assert ttl.parse_duration("0s") == timedelta(0)
    with pytest.raises(ttl.LifetimeError, match="zero"):
        ttl.parse_ttl("0s")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2026-12-31T18:00:00Z", datetime(2026, 12, 31, 18, tzinfo=UTC), id="rfc3339-z"),
        pytest.param(
            "2026-12-31T20:00:00+02:00", datetime(2026, 12, 31, 18, tzinfo=UTC), id="rfc3339-offset"
        ),
        pytest.param(
            "2026-12-31T18:00:00.5Z", datetime(2026, 12, 31, 18, 0, 0, 500000, tzinfo=UTC), id="fraction"
        ),
        pytest.param("2026-12-31T18:00", datetime(2026, 12, 31, 18, tzinfo=UTC), id="janitor-no-zone-is-utc"),
        pytest.param("2026-12-31", datetime(2026, 12, 31, tzinfo=UTC), id="date-is-midnight-utc"),
    ],
)
def test_expiry_forms(value: str, expected: datetime) -> None:
    assert ttl.parse_expires(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("2026-02-30", id="no-such-day"),
        pytest.param("31.12.2026", id="european"),
        pytest.param("tomorrow", id="word"),
        pytest.param("2026-12-31T25:00:00Z", id="hour-25"),
        pytest.param("1767225600", id="epoch"),
    ],
)
def test_bad_expiries_say_what_is_expected(value: str) -> None:
    with pytest.raises(ttl.LifetimeError, match="RFC 3339"):
        ttl.parse_expires(value)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        pytest.param(timedelta(0), "0s", id="zero"),
        pytest.param(timedelta(minutes=25), "25m", id="minutes"),
        pytest.param(timedelta(days=3, hours=4, minutes=5), "3d4h", id="two-largest-units"),
        pytest.param(timedelta(weeks=1), "1w", id="exact-week"),
        pytest.param(-timedelta(hours=2, minutes=5), "-2h5m", id="negative"),
    ],
)
def test_format_duration(delta: timedelta, text: str) -> None:
    assert ttl.format_duration(delta) == text


def test_format_instant_is_utc_to_the_second() -> None:
    instant = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert ttl.format_instant(instant) == "2026-01-01T12:00:00Z"
    assert ttl.parse_expires(ttl.format_instant(instant)) == instant.replace(microsecond=0)
