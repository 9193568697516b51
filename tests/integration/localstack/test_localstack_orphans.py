"""A stack whose supervisord is SIGKILLed leaves no process behind; `kbp local up` then starts
on the same ports."""

from __future__ import annotations

import os
import signal
import sys
from functools import partial
from pathlib import Path

from kbp.cluster.processes import proc_stat
from kbp.localrun import stack, supervising
from kbp.localrun.options import Ports, StackOptions
from kbp.ports import free_ports
from support.localstack import require_binaries, wait_until

WEB_DIR = Path(__file__).resolve().parents[3] / "web"


def _gone(pid: int) -> bool:
    stat = proc_stat(pid)
    return stat is None or stat[0] in ("Z", "X")  # a zombie is dead, only waiting for init to reap it


def test_killing_supervisord_stops_every_program(tmp_path: Path) -> None:
    require_binaries("redis-server", "nginx", "setpriv")
    nginx, api, primary, replica = free_ports(4)
    options = StackOptions(
        state_dir=tmp_path / "state",
        web_dir=WEB_DIR,
        ports=Ports(nginx=nginx, api=(api,), redis_primary=primary, redis_replica=replica),
        python=sys.executable,
    )
    try:
        stack.up(options, timeout_s=90)
        pids = {s.name: s.pid for s in supervising.process_states(options.paths)}
        assert len(pids) == 4
        assert all(pid > 0 for pid in pids.values())

        os.kill(supervising.supervisord_pid(options.paths), signal.SIGKILL)

        for name, pid in pids.items():
            wait_until(partial(_gone, pid), timeout_s=60, what=f"{name} (pid {pid}) to exit")
        stack.up(options, timeout_s=90)  # every port is free again
        assert {s.state for s in supervising.process_states(options.paths)} == {"RUNNING"}
    finally:
        stack.down(options.paths)
