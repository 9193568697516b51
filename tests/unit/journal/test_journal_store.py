"""The store's pure parts: script identity and the key layout."""

from __future__ import annotations

import hashlib

from journal.store import (
    ADD,
    DELETE,
    KEYS,
    PAGE,
    ReadsUnavailableError,
    StoreUnavailableError,
    WritesUnavailableError,
)


def test_scripts_are_named_by_the_sha1_redis_uses() -> None:
    assert PAGE.sha == hashlib.sha1(PAGE.source.encode()).hexdigest()
    assert len({ADD.sha, DELETE.sha, PAGE.sha}) == 3


def test_only_the_page_script_runs_on_replicas() -> None:
    assert PAGE.source.startswith("#!lua flags=no-writes")
    assert not ADD.source.startswith("#!")


def test_all_keys_share_one_prefix() -> None:
    assert all(key.startswith("journal:") for key in KEYS)


def test_outage_messages_are_fixed_sentences() -> None:
    assert str(WritesUnavailableError()) == "storage unavailable: writes are temporarily refused"
    assert str(ReadsUnavailableError()) == "storage unavailable: reads are temporarily refused"
    assert isinstance(WritesUnavailableError(), StoreUnavailableError)
