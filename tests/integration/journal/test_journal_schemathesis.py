"""Schemathesis against a live journal process: no server errors, responses match the OpenAPI document.

The schema is built in-process (schemathesis' lazy fixture loader does not run under pytest 9) and
`test_the_served_document_is_this_one` proves the process serves the same document.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from journal.openapi import build_document
from kbp.ports import free_ports
from support.journal import JournalProcess, journal_env, running_journal
from support.redis import RedisPair

# 413 is the right answer to a schema-violating body that is also too large, 415 to a missing body
# (it has no JSON content type).
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": [400, 404, 405, 413, 415]}}}
)
schema = schemathesis.openapi.from_dict(build_document(), config=CONFIG)


@pytest.fixture(scope="module")
def live_journal(redis_pair: RedisPair, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JournalProcess]:
    directory = tmp_path_factory.mktemp("journal-openapi")
    env = journal_env(redis_pair, port=free_ports(1)[0], config_dir=directory, log_level="warning")
    with running_journal(env, directory) as journal:
        yield journal


def test_the_served_document_is_this_one(live_journal: JournalProcess) -> None:
    assert httpx.get(live_journal.url + "/api/openapi.json").json() == build_document()


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_its_openapi_document(
    case: schemathesis.Case[Any], live_journal: JournalProcess
) -> None:
    # Schemathesis generates strings outside the `text` pattern (control characters), then calls
    # their rejection a failure; the server validates with that very regex, so acceptance holds.
    case.call_and_validate(base_url=live_journal.url, excluded_checks=[positive_data_acceptance])
