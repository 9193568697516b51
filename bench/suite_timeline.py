"""Where a parallel test run spends its wall time: each xdist worker's groups, in order, and the CPU.

    python -m bench.suite_timeline [--out FILE] [-- COMMAND...]     (default: make test)

Runs COMMAND with this module as a pytest plugin (PYTEST_ADDOPTS), which the xdist controller
uses to write one line per test report (worker, start, stop) to FILE. Then prints, per worker,
each group's span; the worker that ends last (the critical path); the groups' durations, for
tests/support/scheduling.py's SECONDS; and the longest tests, split into setup, call and
teardown. Beside the wall time: CPU seconds of everything the run started (this process becomes
a child subreaper, so the nodes' containers and the daemons that outlive their worker count
too), and the load average before and after, since the machine may be shared.
`python -m bench.suite_timeline --show FILE` prints an earlier run's again.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ENV = "KBP_SUITE_TIMELINE"
PR_SET_CHILD_SUBREAPER = 36


# The plugin: active in the xdist controller only (reports carry their worker there).


def _write(config: pytest.Config, row: dict[str, Any]) -> None:
    out = os.environ.get(ENV)
    if out and not hasattr(config, "workerinput") and config.getoption("dist", "no") != "no":
        with open(out, "a") as f:
            f.write(json.dumps(row) + "\n")


def pytest_sessionstart(session: pytest.Session) -> None:
    _write(session.config, {"event": "start", "t": time.time()})


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    node = getattr(report, "node", None)
    if node is not None:
        row = {"id": report.nodeid, "when": report.when, "worker": node.gateway.id}
        _write(node.config, {**row, "start": report.start, "stop": report.stop, "outcome": report.outcome})


# The report.


@dataclass(frozen=True)
class Test:
    id: str
    worker: str
    start: float  # seconds since the session started
    stop: float
    phases: dict[str, float]

    @property
    def group(self) -> str:
        tail = self.id.rsplit("]", 1)[-1]
        return self.id.rsplit("@", 1)[1] if "@" in tail else self.id.split("::")[0]


def read(path: Path) -> tuple[float, list[Test]]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line]
    t0 = [r["t"] for r in rows if r.get("event") == "start"][-1]
    phases: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if "id" in row:
            phases[row["id"]].append(row)
    tests = [
        Test(
            test_id,
            seen[0]["worker"],
            min(r["start"] for r in seen) - t0,
            max(r["stop"] for r in seen) - t0,
            {r["when"]: r["stop"] - r["start"] for r in seen},
        )
        for test_id, seen in phases.items()
    ]
    return t0, sorted(tests, key=lambda t: t.start)


def show(path: Path) -> None:
    _, tests = read(path)
    workers: dict[str, list[Test]] = defaultdict(list)
    for test in tests:
        workers[test.worker].append(test)
    end = max(t.stop for t in tests)
    print(f"tests: {len(tests)}, last one ends at {end:.0f} s")
    spans: dict[str, list[float]] = {}
    for worker, mine in sorted(workers.items()):
        busy = sum(t.stop - t.start for t in mine)
        tail = end - mine[-1].stop
        span = f"{mine[0].start:.0f}-{mine[-1].stop:.0f} s"
        print(f"\n{worker}: {span}, busy {busy:.0f} s, idle at the end {tail:.0f} s")
        runs: list[tuple[str, list[Test]]] = []
        for test in mine:
            if runs and runs[-1][0] == test.group:
                runs[-1][1].append(test)
            else:
                runs.append((test.group, [test]))
        for group, run in runs:
            first, last = run[0].start, run[-1].stop
            spans.setdefault(group, [first, last])[1] = last
            if last - first >= 5:
                print(f"  {first:5.0f}-{last:5.0f} {last - first:5.0f} s  {group} ({len(run)} tests)")
    print("\ngroups by duration (first test's start to last test's end):")
    ranked = sorted(spans.items(), key=lambda kv: kv[1][0] - kv[1][1])
    for group, (first, last) in ranked[:30]:
        print(f"  {last - first:5.0f} s  {group}")
    print("\nlongest tests (setup / call / teardown):")
    for test in sorted(tests, key=lambda t: t.start - t.stop)[:25]:
        split = " / ".join(f"{test.phases.get(w, 0):.0f}" for w in ("setup", "call", "teardown"))
        print(f"  {test.stop - test.start:5.0f} s  {split:>13}  {test.worker}  {test.id}")


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run(command: list[str], out: Path) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans (shims, containers) come to us
    out.unlink(missing_ok=True)
    addopts = f"{os.environ.get('PYTEST_ADDOPTS', '')} -p bench.suite_timeline".strip()
    env = {**os.environ, ENV: str(out), "PYTEST_ADDOPTS": addopts}
    load_before, began = _loadavg(), time.monotonic()
    main = subprocess.Popen(command, env=env)
    status = None
    while status is None:  # reap every orphan as it exits, so its CPU time counts
        pid, code = os.wait()
        if pid == main.pid:
            status = os.waitstatus_to_exitcode(code)
    wall = time.monotonic() - began
    main.returncode = status
    time.sleep(2)
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.exists():
        show(out)
    print(f"\n{' '.join(command)}: exit {status}, wall {wall:.0f} s")
    print(
        f"CPU {usage.ru_utime + usage.ru_stime:.0f} s (user {usage.ru_utime:.0f}, sys {usage.ru_stime:.0f})"
    )
    print(f"load average before {load_before}, after {_loadavg()}")
    return status


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path(".kbp/suite-timeline.jsonl"))
    parser.add_argument("--show", type=Path, help="print the report of an earlier run's file")
    parser.add_argument("command", nargs="*", default=["make", "test"])
    args = parser.parse_args()
    if args.show:
        show(args.show)
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sys.exit(run(args.command, args.out.absolute()))


if __name__ == "__main__":
    main()
