"""The order in which pytest-xdist's loadgroup hands groups to workers: the longest first.

loadgroup orders its work by test count, so a long group of a few tests (a real-node file that
installs the chart) started late and ended the run alone, while short groups of many tests went
first. A worker takes its next group when it is nearly done with the last one, so starting with
the longest is what keeps the workers' ends close (the classic longest-processing-time rule).

Durations are declared (`python -m bench.suite_timeline` prints them): a clean clone has no
record of the last run. Only their order matters; these are one run's at load ~50, divided by 4.
A group not listed counts a second a test.
"""

from __future__ import annotations

import pytest
from xdist.remote import Producer
from xdist.scheduler import LoadGroupScheduling
from xdist.workermanage import WorkerController

# Group (a shared fixture's group, or a file under tests/integration) -> seconds on one worker.
SECONDS: dict[str, float] = {
    "real_cluster": 400,
    "fleet/test_fleet.py": 350,
    "images/test_image_build.py": 150,
    "dex": 75,
    "netpol_cluster": 60,
    "local_stack": 55,
    "node/test_real_node_lifecycle.py": 40,
    "release/test_image_tag.py": 35,
    "images/test_images.py": 30,
    "journal/test_journal_rsgi.py": 30,
    "users/test_users_isolation.py": 30,
    "lint/test_lint_platform.py": 28,
    "namespaces/test_tenancy_chart.py": 27,
    "chart/test_chart_values.py": 24,
    "test_platform_fit.py": 22,
    "users/test_users_lifecycle.py": 21,
}
PER_TEST_S = 1.0


def estimate(group: str, tests: int) -> float:
    return SECONDS.get(group, PER_TEST_S * tests)


class LongestFirst(LoadGroupScheduling):  # type: ignore[misc]  # xdist has no type hints
    """loadgroup, with its work queue sorted by each group's estimated duration, longest first."""

    def __init__(self, config: pytest.Config, log: Producer | None = None) -> None:
        super().__init__(config, log)
        self.ordered = False

    def _assign_work_unit(self, node: WorkerController) -> None:
        # schedule() fills the queue whole, then assigns: sort it once, before the first unit goes.
        if not self.ordered:
            longest = sorted(self.workqueue, key=lambda g: -estimate(g, len(self.workqueue[g])))
            for group in longest:
                self.workqueue.move_to_end(group)
            self.ordered = True
        super()._assign_work_unit(node)
