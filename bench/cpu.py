"""CPU time used by this process's descendants (the servers a bench started), from /proc.

Under a shared machine's load, req/s swings with how much CPU the servers get; the CPU they spend
per request swings far less, so the benches print both. Processes that exit between two readings
(wrk itself) are not counted.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone
        return None
    return text[text.rindex(")") + 2 :].split()  # fields after the command name, from `state` on


def descendants(root: int | None = None) -> list[int]:
    """Every live process under `root` (default: this one), found through /proc's parent ids."""
    root = os.getpid() if root is None else root
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU of each process that is still alive."""
    used = {}
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            used[pid] = (int(fields[11]) + int(fields[12])) / TICKS_PER_S  # utime, stime
    return used


def spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two readings by the processes alive at both."""
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys())
