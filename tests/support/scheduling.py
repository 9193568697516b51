"""The order in which pytest-xdist's loadgroup hands groups to workers: the longest first.

loadgroup orders its work by test count, so a long group of a few tests (a real-node file that
installs the chart) started late and ended the run alone, while short groups of many tests went
first. A worker takes its next group when it is nearly done with the last one, so starting with
the longest is what keeps the workers' ends close (the classic longest-processing-time rule).

Durations are declared (`python -m bench.suite_timeline` prints them): a clean clone has no
record of the last run. Only their order matters; these are a warm run's on a quiet machine.
A group not listed counts each of its files as listed here, or at a second a test.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadGroupScheduling
from xdist.workermanage import WorkerController

# Group (a shared fixture's group, or a file under tests/integration) -> seconds on one worker.
SECONDS: dict[str, float] = {
    "fleet/test_fleet.py": 90,
    "dex": 68,
    "release/test_deploy.py": 63,
    "localstack/test_localstack_sentinel.py": 61,
    "chart/test_chart_sentinel.py": 47,
    "local_stack": 44,
    "journal/test_journal_sentinel.py": 40,
    "chart/test_chart_redis.py": 38,
    "test_cluster.py": 28,
    "private_cluster": 27,
    "netpol_cluster": 25,
    "users/test_users_lifecycle.py": 20,
    "images/test_image_build.py": 19,
    "test_cluster_services.py": 16,
    "node/test_real_node_lifecycle.py": 15,
    "namespaces/test_ns_cli.py": 15,
    "localstack/test_localstack_orphans.py": 14,
    "dev/test_dev.py": 13,
    "chart/test_chart_install.py": 10,
    "journal/test_journal_redis_connection.py": 9,
    # The files on the shared real node (REAL_NODE_LANES), without the node's start (~20 s).
    "running/test_journal_failover.py": 57,
    "node/test_metrics_on_node.py": 55,
    "running/test_journal_running.py": 42,
    "node/test_logs_on_node.py": 33,
    "node/test_dev_on_node.py": 28,
    "running/test_gateway.py": 28,
    "node/test_reaper_on_node.py": 11,
    "node/test_real_node.py": 8,
    "node/test_node_volumes.py": 7,
    "node/test_real_node_isolation.py": 3,
}
PER_TEST_S = 1.0
INTEGRATION = "tests/integration/"


def file_estimate(file: str, tests: int) -> float:
    return SECONDS.get(file, PER_TEST_S * tests)


def estimate(group: str, nodeids: Iterable[str]) -> float:
    """The group's declared seconds, or the sum of its files' (a test's file is its id's path)."""
    if group in SECONDS:
        return SECONDS[group]
    files: dict[str, int] = {}
    for nodeid in nodeids:
        file = nodeid.split("::", 1)[0].removeprefix(INTEGRATION)
        files[file] = files.get(file, 0) + 1
    return sum(file_estimate(file, tests) for file, tests in files.items())


def lanes(files: Mapping[str, int], count: int) -> dict[str, int]:
    """Each file (-> its test count) in one of `count` lanes of about equal declared seconds: the
    longest first, each to the lane with the least so far. The same on every worker."""
    totals = [0.0] * count
    lane_of: dict[str, int] = {}
    for file in sorted(files, key=lambda f: (-file_estimate(f, files[f]), f)):
        lane = totals.index(min(totals))
        lane_of[file] = lane
        totals[lane] += file_estimate(file, files[file])
    return lane_of


class LongestFirst(LoadGroupScheduling):  # type: ignore[misc]  # xdist has no type hints
    """loadgroup, with its work queue sorted by each group's estimated duration, longest first."""

    def __init__(self, config: pytest.Config, log: Producer | None = None) -> None:
        super().__init__(config, log)
        self.ordered = False

    def _assign_work_unit(self, node: WorkerController) -> None:
        # schedule() fills the queue whole, then assigns: sort it once, before the first unit goes.
        if not self.ordered:
            longest = sorted(self.workqueue, key=lambda g: -estimate(g, self.workqueue[g]))
            for group in longest:
                self.workqueue.move_to_end(group)
            self.ordered = True
        super()._assign_work_unit(node)
