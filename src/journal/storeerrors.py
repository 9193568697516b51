"""What the store raises and reports; the messages are safe to show to clients.

StoreError
 ├── IdempotencyConflictError      the key was used for other text
 └── StoreUnavailableError        Redis unreachable, loading, read-only, or refusing auth
      ├── WritesUnavailableError  "storage unavailable: writes are temporarily refused"
      ├── WriteFateUnknownError   "storage unavailable: the write was not confirmed ..."
      └── ReadsUnavailableError   "storage unavailable: reads are temporarily refused"
"""

from __future__ import annotations

from typing import Protocol


class StoreError(Exception):
    """Base of the store's errors."""


class StoreUnavailableError(StoreError):
    """Redis cannot serve the request; the message is safe to show to clients."""


class WritesUnavailableError(StoreUnavailableError):
    def __init__(self) -> None:
        super().__init__("storage unavailable: writes are temporarily refused")


class WriteFateUnknownError(StoreUnavailableError):
    """The write reached the primary, or may have, but no replica confirmed it in time."""

    def __init__(self, retry: str) -> None:
        super().__init__(
            "storage unavailable: the write was not confirmed by a replica in time, so it may or may"
            f" not have been stored; {retry}"
        )


ADD_RETRY = "retrying with the same Idempotency-Key settles it"
DELETE_RETRY = "retrying the DELETE settles it (404: it was deleted)"


class ReadsUnavailableError(StoreUnavailableError):
    def __init__(self) -> None:
        super().__init__("storage unavailable: reads are temporarily refused")


class IdempotencyConflictError(StoreError):
    """The idempotency key was used before for an entry with other text."""


class StoreObserver(Protocol):
    """Where the store reports what it survived (metrics and logs live outside the store)."""

    def redis_error(self, *, endpoint: str, operation: str, error: Exception) -> None: ...

    def read_fallback(self, *, reason: str) -> None: ...

    def unconfirmed_write(self, *, operation: str) -> None: ...
