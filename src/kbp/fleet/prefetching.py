"""`kbp fleet status` starts its `helmfile list` processes before the CLI is built.

Typer's start-up costs about 0.25 s of CPU and needs no cluster. Started first, `helmfile list`
runs during it, as a process of its own, instead of after it. Processes never taken (a usage
error, another file) are killed when kbp exits, which does not wait for them.

argv is not parsed here: `--fleet-file` and `-l/--selector` are only looked for. Status takes
what was started only when its own parsed options name the same file and selector; otherwise,
or when anything here failed, it starts afresh, so a wrong guess costs time, never a wrong
answer or a lost error message.
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Sequence
from pathlib import Path

from kbp.fleet import FleetError, inventory, tooling
from kbp.fleet.inventory import Cluster, Fleet
from kbp.platform.errors import PinError, ToolError

DEFAULT_FILE = Path("deploy/fleet.yaml")
FLEET_ENV = "KBP_FLEET"
Started = tuple[Fleet, tuple[Cluster, ...], tooling.Tools]
_started: dict[tuple[Path, str], Started] = {}


def guess(argv: Sequence[str], env: str | None) -> tuple[Path, str]:
    """The fleet file and selector `argv` most likely names (the last one given wins, as in the CLI)."""
    path, selector = Path(env) if env else DEFAULT_FILE, ""
    for i, arg in enumerate(argv):
        name, eq, value = arg.partition("=")
        if not eq:
            value = argv[i + 1] if i + 1 < len(argv) else ""
        if name == "--fleet-file":
            path = Path(value)
        elif name in ("-l", "--selector"):
            selector = value
    return path, selector


def start(argv: Sequence[str]) -> None:
    """Read the fleet file argv names and start its helm processes; silent on any error."""
    path, selector = guess(argv, os.environ.get(FLEET_ENV))
    try:
        fleet = inventory.load(path)
        picked = fleet.select(selector)
        tools = tooling.start(picked)
    except (FleetError, PinError, ToolError, OSError):
        return
    if not _started:
        atexit.register(_stop_untaken)
    _started[(path.absolute(), selector)] = (fleet, picked, tools)


def take(path: Path, selector: str) -> Started | None:
    """What `start` began for this file and selector, once; None if it began nothing for them."""
    return _started.pop((path.absolute(), selector), None)


def _stop_untaken() -> None:
    for _, _, tools in _started.values():
        tools.stop()
    _started.clear()
