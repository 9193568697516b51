"""Hooks for the whole run that the pytest-xdist controller needs too: it collects nothing, so it
never reads the conftest files below this one."""

from __future__ import annotations

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadGroupScheduling

from support.controlplane import SHARED_DIR, stop_shared
from support.scheduling import LongestFirst


def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> LoadGroupScheduling | None:
    """`--dist loadgroup` (as `make test` runs it), with the longest groups handed out first."""
    return LongestFirst(config, log) if config.getvalue("dist") == "loadgroup" else None


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """The xdist controller stops the kwok plane its workers shared (`cluster`), once all are done:
    also after a worker crashed or the run was interrupted, so nothing keeps running."""
    config = session.config
    if hasattr(config, "workerinput") or not config.pluginmanager.hasplugin("dsession"):
        return
    factory: pytest.TempPathFactory = config._tmp_path_factory  # type: ignore[attr-defined]
    failed = stop_shared(factory.getbasetemp() / SHARED_DIR)
    if failed:
        config.get_terminal_writer().line(f"ERROR: the shared cluster: {failed}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
