"""The exception tree of the Kubernetes boundary, and the one place lightkube's and httpx's errors
become it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx2
from lightkube.core.exceptions import ApiError


class KubeError(Exception):
    """An API call failed. `status` is the HTTP status (0 when the server was unreachable)."""

    def __init__(self, message: str, status: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class NotFoundError(KubeError):
    """The object does not exist (HTTP 404)."""


class ForbiddenError(KubeError):
    """The caller is not allowed to do this (HTTP 403)."""


class WaitTimeoutError(KubeError):
    """`wait_for` gave up: what it waited for did not happen in time."""


def for_status(status: int) -> type[KubeError]:
    """The KubeError subclass an HTTP status maps to."""
    return {404: NotFoundError, 403: ForbiddenError}.get(status, KubeError)


@contextmanager
def translated() -> Iterator[None]:
    """Turn lightkube/httpx failures into KubeError subclasses."""
    try:
        yield
    except ApiError as exc:
        status = exc.status.code or 0
        raise for_status(status)(exc.status.message or str(exc), status, exc.status.reason or "") from exc
    except KubeError:
        raise
    except httpx2.HTTPError as exc:
        raise KubeError(f"cannot reach the API server: {exc}") from exc
