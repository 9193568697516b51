"""Hooks for the whole run that the pytest-xdist controller needs too: it collects nothing, so it
never reads the conftest files below this one."""

from __future__ import annotations

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadGroupScheduling

from support.scheduling import LongestFirst


def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> LoadGroupScheduling | None:
    """`--dist loadgroup` (as `make test` runs it), with the longest groups handed out first."""
    return LongestFirst(config, log) if config.getvalue("dist") == "loadgroup" else None
