"""Hooks for the whole run that the pytest-xdist controller needs too: it collects nothing, so it
never reads the conftest files below this one."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadGroupScheduling
from xdist.workermanage import WorkerController

from support.scheduling import LongestFirst
from support.sharedplanes import SharedPlanes

SHARED_PLANES = pytest.StashKey[SharedPlanes]()


def pytest_xdist_make_scheduler(config: pytest.Config, log: Producer) -> LoadGroupScheduling | None:
    """`--dist loadgroup` (as `make test` runs it), with the longest groups handed out first."""
    return LongestFirst(config, log) if config.getvalue("dist") == "loadgroup" else None


def _controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput") and config.pluginmanager.hasplugin("dsession")


@pytest.hookimpl(trylast=True)  # after the tmp_path plugin's configure
def pytest_configure(config: pytest.Config) -> None:
    if _controller(config):
        factory: pytest.TempPathFactory = config._tmp_path_factory  # type: ignore[attr-defined]
        config.stash[SHARED_PLANES] = SharedPlanes(factory.getbasetemp())


def pytest_xdist_node_collection_finished(node: WorkerController, ids: Sequence[str]) -> None:
    node.config.stash[SHARED_PLANES].collected(ids)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """In the controller, each worker's report: the real node stops after its last test."""
    node = getattr(report, "node", None)  # set on the controller's copy of a worker's report
    if node is not None and SHARED_PLANES in node.config.stash:
        node.config.stash[SHARED_PLANES].reported(report)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """The xdist controller stops the planes its workers shared, once all are done: also after a
    worker crashed or the run was interrupted, so nothing keeps running."""
    config = session.config
    if SHARED_PLANES not in config.stash:
        return
    for failed in config.stash[SHARED_PLANES].finish():
        config.get_terminal_writer().line(f"ERROR: a shared cluster: {failed}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
