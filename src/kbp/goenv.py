"""The environment for the Go programs kbp starts: helm, helmfile and the local control plane.

Go's collector runs each time the heap doubles (GOGC=100). These programs do most of their
allocating while they start (the API server builds its API schemas and installs the Gateway CRDs;
helm loads a chart and the API's discovery), so a collector that waits for five times the live
heap spends a fifth less CPU on a start for a few hundred MB more of an API server's peak
(bench/goenv.py). A GOGC or GOMEMLIMIT of the caller's is kept.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

GOGC = "400"


def go_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) with kbp's GOGC unless it sets its own."""
    env = dict(os.environ if base is None else base)
    if "GOGC" not in env and "GOMEMLIMIT" not in env:
        env["GOGC"] = GOGC
    return env
