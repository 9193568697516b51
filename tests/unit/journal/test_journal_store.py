"""The store's client-facing sentences and its idempotency fingerprints."""

from __future__ import annotations

from journal.scripts import PAGE
from journal.storeerrors import (
    ADD_RETRY,
    DELETE_RETRY,
    ReadsUnavailableError,
    StoreUnavailableError,
    WriteFateUnknownError,
    WritesUnavailableError,
)
from journal.writing import Idempotency


def test_outage_messages_are_fixed_sentences() -> None:
    # Clients and the UI show these; they must stay stable and never carry a host or a password.
    assert str(WritesUnavailableError()) == "storage unavailable: writes are temporarily refused"
    assert str(ReadsUnavailableError()) == "storage unavailable: reads are temporarily refused"


def test_an_unknown_fate_tells_the_client_how_to_settle_it() -> None:
    add, delete = str(WriteFateUnknownError(ADD_RETRY)), str(WriteFateUnknownError(DELETE_RETRY))

    assert add.startswith("storage unavailable: the write was not confirmed by a replica in time")
    assert "may or may not have been stored" in add
    assert add.endswith("retrying with the same Idempotency-Key settles it")
    assert delete.endswith("retrying the DELETE settles it (404: it was deleted)")
    assert isinstance(WriteFateUnknownError(ADD_RETRY), StoreUnavailableError)  # answered 503


def test_the_fingerprint_tells_other_text_apart() -> None:
    first = Idempotency.of("k", "hello", 300)

    assert Idempotency.of("k", "hello", 60).fingerprint == first.fingerprint
    assert Idempotency.of("k", "hello!", 300).fingerprint != first.fingerprint
    assert len(first.fingerprint) == 64  # the scripts cut the stored value at this length


def test_only_the_page_script_may_run_on_a_replica() -> None:
    # Without the flag Redis refuses EVALSHA on a read-only replica: every read would fall back.
    assert PAGE.source.startswith("#!lua flags=no-writes\n")
