"""Redis addresses: parsed from URLs, with the password kept out of repr and str."""

from __future__ import annotations

import pytest

from journal.pipelining import Address


@pytest.mark.parametrize(
    ("url", "host", "port", "db"),
    [
        ("redis://redis-write:6379/0", "redis-write", 6379, 0),
        ("redis://10.0.0.7/3", "10.0.0.7", 6379, 3),
        ("redis://localhost:7000", "localhost", 7000, 0),
    ],
)
def test_from_url(url: str, host: str, port: int, db: int) -> None:
    address = Address.from_url(url, password=None, timeout_s=1.0)

    assert (address.host, address.port, address.db, address.password) == (host, port, db, None)


def test_the_file_password_wins_over_the_url() -> None:
    assert Address.from_url("redis://:in-url@h/0", password="from-file", timeout_s=1).password == "from-file"
    assert Address.from_url("redis://:in%40url@h/0", password=None, timeout_s=1).password == "in@url"


def test_the_password_is_not_shown() -> None:
    address = Address.from_url("redis://h:1/0", password="hunter2", timeout_s=1)

    assert "hunter2" not in repr(address)
    assert str(address) == "h:1"
