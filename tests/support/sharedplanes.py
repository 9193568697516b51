"""The control planes every pytest-xdist worker of a run shares, from the controller's side.

Workers start them (support.controlplane.shared); the controller, which sees every test's report,
stops them: the real node's as soon as the last test on it has finished its teardown, since a
real node idles at several CPU-seconds a minute; each one that still runs at the session's end.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path

import pytest

from support.controlplane import SHARED_DIR, SHARED_REAL_DIR, stop_shared

REAL_NODE_GROUP = "real_cluster"  # the xdist groups of the real node's tests: real_cluster-1, ...


def group_of(nodeid: str) -> str:
    """The group `<id>@<group>` names (tests/integration/conftest.py), or ""."""
    tail = nodeid.rsplit("]", 1)[-1]  # a parameter may hold an @
    return tail.rsplit("@", 1)[1] if "@" in tail else ""


def on_real_node(nodeid: str) -> bool:
    return group_of(nodeid).startswith(f"{REAL_NODE_GROUP}-")


class SharedPlanes:
    """Tracks the real node's tests still to finish, and stops the planes in `base`."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.pending: set[str] | None = None  # the real node's tests not yet torn down
        self.stopping: threading.Thread | None = None
        self.failed: list[str] = []

    def collected(self, nodeids: Iterable[str]) -> None:
        if self.pending is None:  # every worker collects the same tests
            self.pending = {nodeid for nodeid in nodeids if on_real_node(nodeid)}

    def reported(self, report: pytest.TestReport) -> None:
        if report.when != "teardown" or not self.pending or report.nodeid not in self.pending:
            return
        self.pending.discard(report.nodeid)
        if not self.pending and self.stopping is None:
            # A thread: the controller keeps handing out work while the node stops.
            self.stopping = threading.Thread(target=self._stop, args=(SHARED_REAL_DIR,), daemon=True)
            self.stopping.start()

    def _stop(self, name: str) -> None:
        try:
            failed = stop_shared(self.base / name)
        except Exception as exc:  # said at the session's end, as a failure
            failed = f"{type(exc).__name__}: {exc}"
        if failed:
            self.failed.append(f"{name}: {failed}")

    def finish(self) -> list[str]:
        """Stop whatever still runs (after a failure, an interrupt, a crashed worker); what failed."""
        if self.stopping is not None:
            self.stopping.join()
        for name in (SHARED_REAL_DIR, SHARED_DIR):
            self._stop(name)
        return self.failed
