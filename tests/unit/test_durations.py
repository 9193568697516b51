"""Durations on the command line: kube-janitor's one-number-one-unit grammar."""

from __future__ import annotations

import datetime as dt

import pytest

from kbp.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("45m", dt.timedelta(minutes=45), id="minutes"),
        pytest.param("12h", dt.timedelta(hours=12), id="hours"),
        pytest.param("30d", dt.timedelta(days=30), id="days"),
        pytest.param("2w", dt.timedelta(weeks=2), id="weeks"),
        pytest.param(" 90s ", dt.timedelta(seconds=90), id="padded"),
    ],
)
def test_parses_a_number_and_a_unit(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7", "7x", "d7", "1d12h", "-3d", "1.5h", "forever"])
def test_refuses_anything_else_naming_the_form(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a duration \(examples: 45m"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        pytest.param(dt.timedelta(days=29, hours=23, minutes=59), "29d23h", id="two-largest-units"),
        pytest.param(dt.timedelta(hours=5), "5h", id="round"),
        pytest.param(dt.timedelta(0), "0s", id="zero"),
        pytest.param(-dt.timedelta(hours=2, minutes=30), "-2h30m", id="past"),
    ],
)
def test_formats_for_people(delta: dt.timedelta, expected: str) -> None:
    assert format_duration(delta) == expected
