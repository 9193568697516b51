"""Stopping a server the tests started in its own session (process group): SIGTERM, wait, SIGKILL."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time


def signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)  # start_new_session made the pid its group leader


def stop_group(
    process: subprocess.Popen[bytes], timeout_s: float, *, repeat_term_s: float | None = None
) -> int:
    """SIGTERM the group and wait, then SIGKILL it; return the exit code.

    ``repeat_term_s`` re-sends SIGTERM at that interval: Redis refuses one while it writes its
    first AOF ("can't exit") and only a later one stops it.
    """
    deadline = time.monotonic() + timeout_s
    while process.poll() is None and time.monotonic() < deadline:
        signal_group(process, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=min(repeat_term_s or timeout_s, max(0.0, deadline - time.monotonic())))
    if process.poll() is None:
        signal_group(process, signal.SIGKILL)
        process.wait(timeout=timeout_s)
    return process.returncode
