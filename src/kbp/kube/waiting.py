"""Waiting on the cluster: poll a check against a deadline; read an object's conditions."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from kbp.kube.errors import WaitTimeoutError

T = TypeVar("T")


def wait_for(check: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.2) -> T:
    """Poll `check` until it returns something other than None; KubeError naming `what` on timeout.

    API errors inside `check` propagate: a check that expects absence should catch NotFoundError itself.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None:
            return result
        if time.monotonic() >= deadline:
            raise WaitTimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


def condition(obj: Mapping[str, Any], kind: str) -> str | None:
    """The status ("True"/"False"/"Unknown") of a condition type, or None if absent."""
    for cond in obj.get("status", {}).get("conditions") or []:
        if cond.get("type") == kind:
            return str(cond.get("status"))
    return None
