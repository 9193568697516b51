"""Start and stop component processes: own process group, pid file, log file.

A pid file holds the pid and the kernel's start time for it, so a later `down` (from another
process, maybe after a reboot) signals a process only if it is still the one we started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kbp.cluster.components import Component
from kbp.cluster.layout import Layout

STOP_TIMEOUT = 10.0
POLL = 0.05


@dataclass(frozen=True)
class Handle:
    """A process we started: its name, pid, kernel start time and log file."""

    name: str
    pid: int
    start_time: int
    log: Path


def proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks) from /proc, or None if no such process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name may contain spaces and parentheses; fields after the last ')' are fixed.
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[19])


def _reap(pid: int) -> None:
    # Collect the exit status if the process is our child, so it doesn't linger as a zombie.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def alive(handle: Handle) -> bool:
    """True while the process we started still runs (a reused pid does not count)."""
    _reap(handle.pid)
    stat = proc_stat(handle.pid)
    return stat is not None and stat[1] == handle.start_time and stat[0] not in ("Z", "X")


def spawn(component: Component, layout: Layout, env: dict[str, str] | None = None) -> Handle:
    """Start a component in its own session, output to its log file, and record its pid file."""
    log = layout.log(component.name)
    log.parent.mkdir(parents=True, exist_ok=True)
    layout.run.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log), flags, 0o600),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    # posix_spawn instead of Popen: the process outlives this one, and an orphaned Popen object
    # warns when collected.
    pid = os.posix_spawn(
        component.argv[0],
        list(component.argv),
        env if env is not None else dict(os.environ),
        file_actions=actions,
        setsid=True,
    )
    stat = proc_stat(pid)
    handle = Handle(component.name, pid, stat[1] if stat else 0, log)
    layout.pid(component.name).write_text(f"{pid} {handle.start_time}\n")
    return handle


def read_handle(layout: Layout, name: str) -> Handle | None:
    """The recorded process for a component, or None if there is no (readable) pid file."""
    try:
        pid_text, start_text = layout.pid(name).read_text().split()
        return Handle(name, int(pid_text), int(start_text), layout.log(name))
    except (FileNotFoundError, ValueError):
        return None


def _signal_group(handle: Handle, sig: signal.Signals) -> None:
    # The process leads its own session, so its group id is its pid; children go down with it.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(handle.pid, sig)


def _wait_gone(handle: Handle, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while alive(handle):
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL)
    return True


def stop(handle: Handle, layout: Layout, timeout: float = STOP_TIMEOUT) -> None:
    """SIGTERM, wait, then SIGKILL; remove the pid file once the process is gone."""
    if alive(handle):
        _signal_group(handle, signal.SIGTERM)
        if not _wait_gone(handle, timeout):
            _signal_group(handle, signal.SIGKILL)
            if not _wait_gone(handle, timeout):
                raise RuntimeError(f"{handle.name} (pid {handle.pid}) survived SIGKILL")
    layout.pid(handle.name).unlink(missing_ok=True)


def stop_all(layout: Layout, names: Sequence[str]) -> list[str]:
    """Stop the recorded processes in reverse start order; return every error instead of the first."""
    errors: list[str] = []
    for name in reversed(names):
        handle = read_handle(layout, name)
        if handle is None:
            continue
        try:
            stop(handle, layout)
        except (OSError, RuntimeError) as exc:
            errors.append(f"stop {name}: {exc}")
    return errors


def log_tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file, for error messages when a component fails to start."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])
