"""Talking to supervisord: launch it, ask it for process states, signal, restart and shut it down."""

from __future__ import annotations

import subprocess
import sys
import xmlrpc.client
from dataclasses import dataclass
from typing import Any, cast

from supervisor.xmlrpc import SupervisorTransport

from kbp.localrun.errors import NotRunningError
from kbp.localrun.options import StatePaths

FAILED_STATES = frozenset({"FATAL", "EXITED", "BACKOFF", "UNKNOWN"})


@dataclass(frozen=True)
class ProcessState:
    """One row of supervisord's process table."""

    name: str
    pid: int
    state: str
    started_at: float
    now: float
    description: str

    @property
    def uptime_s(self) -> float:
        return max(0.0, self.now - self.started_at) if self.state == "RUNNING" else 0.0


def _proxy(paths: StatePaths) -> Any:
    transport = SupervisorTransport(None, None, serverurl=f"unix://{paths.supervisor_socket}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)


def _call(paths: StatePaths, method: str, *args: object) -> Any:
    if not paths.supervisor_socket.exists():
        raise NotRunningError(f"no local stack in {paths.root} (no supervisor socket)")
    try:
        with _proxy(paths) as proxy:
            return getattr(proxy.supervisor, method)(*args)
    except (ConnectionRefusedError, FileNotFoundError) as err:
        raise NotRunningError(f"no local stack in {paths.root} (supervisord not answering)") from err


def is_running(paths: StatePaths) -> bool:
    try:
        _call(paths, "getPID")
    except NotRunningError:
        return False
    return True


def supervisord_pid(paths: StatePaths) -> int:
    return int(_call(paths, "getPID"))


def process_states(paths: StatePaths) -> tuple[ProcessState, ...]:
    rows = cast(list[dict[str, Any]], _call(paths, "getAllProcessInfo"))
    return tuple(
        ProcessState(
            name=str(row["name"]),
            pid=int(row["pid"]),
            state=str(row["statename"]),
            started_at=float(row["start"]),
            now=float(row["now"]),
            description=str(row["description"]),
        )
        for row in rows
    )


def launch(paths: StatePaths, *, foreground: bool, own_session: bool = True) -> subprocess.Popen[bytes]:
    """Start supervisord; daemonized it returns once forked, in the foreground it lives as our child.

    `own_session=False` (with `foreground`) keeps it in the caller's session, so under Linux's
    autogroup scheduling the stack shares one CPU share with the caller's other processes (a bench
    that compares it with processes of its own).
    """
    command = [sys.executable, "-m", "supervisor.supervisord", "-c", str(paths.supervisord_conf)]
    if foreground:
        command.append("--nodaemon")
    # Its own session, so a terminal's Ctrl-C reaches kbp first and the stop stays orderly. Start-up
    # errors (bad config) go to a file: a pipe would be held open by the daemonized grandchild.
    with paths.log("supervisord-launch").open("ab") as launch_log:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=launch_log,
            stderr=subprocess.STDOUT,
            start_new_session=own_session,
        )


def shutdown(paths: StatePaths) -> None:
    """Ask supervisord to stop every program (highest priority first) and then exit."""
    _call(paths, "shutdown")


def restart_program(paths: StatePaths, name: str) -> None:
    _call(paths, "stopProcess", name, True)
    _call(paths, "startProcess", name, True)


def start_program(paths: StatePaths, name: str) -> None:
    _call(paths, "startProcess", name, True)


def stop_program(paths: StatePaths, name: str) -> None:
    _call(paths, "stopProcess", name, True)
