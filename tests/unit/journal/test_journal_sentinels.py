"""Sentinel messages and addresses: what the API follows, and the settings it refuses."""

from __future__ import annotations

import pytest

from journal.sentinels import Switch, parse_sentinel_addresses


def test_a_switch_names_the_new_primary() -> None:
    switch = Switch.parse(b"journal 10.0.0.1 6379 10.0.0.2 6380")

    assert switch == Switch("journal", "10.0.0.2", 6380)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"journal 10.0.0.1 6379 10.0.0.2", id="too-short"),
        pytest.param(b"journal 10.0.0.1 6379 10.0.0.2 port", id="port-text"),
        pytest.param(b"journal 10.0.0.1 6379 10.0.0.2 \xd9\xa1", id="port-arabic-digit"),
    ],
)
def test_a_garbled_switch_is_ignored(data: bytes) -> None:
    assert Switch.parse(data) is None


def test_sentinel_addresses() -> None:
    assert parse_sentinel_addresses("a:26379, b:26380,[::1]:26381") == (
        ("a", 26379),
        ("b", 26380),
        ("::1", 26381),
    )
    assert parse_sentinel_addresses("") == ()


@pytest.mark.parametrize("text", ["a", "a:", ":26379", "a:0", "a:99999", "a:x"])
def test_bad_sentinel_addresses_say_what_was_expected(text: str) -> None:
    with pytest.raises(ValueError, match="expected host:port entries separated by commas"):
        parse_sentinel_addresses(text)
