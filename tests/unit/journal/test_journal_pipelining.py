"""Redis addresses: the password stays out of repr and str; a moved address keeps its login."""

from __future__ import annotations

from journal.pipelining import Address


def test_the_password_is_not_shown() -> None:
    address = Address("h", 1, 0, 1.0, password="hunter2", username="journal")

    assert "hunter2" not in repr(address)
    assert str(address) == "h:1"


def test_a_moved_address_keeps_the_login_and_database() -> None:
    moved = Address("old", 1, 3, 1.0, password="pw", username="u").moved("new", 2)

    assert (moved.host, moved.port, moved.db, moved.password, moved.username) == ("new", 2, 3, "pw", "u")
