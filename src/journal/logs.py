"""JSON logs on stdout: one event per line, snake_case keys, the request id from contextvars.

structlog renders the journal's own events; uvicorn's stdlib records go through the same
renderer, so every line on stdout is JSON.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any, TextIO

import orjson
import structlog
from structlog.typing import FilteringBoundLogger, Processor

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
LEVELS["critical"] = logging.CRITICAL


class BatchingWriter:
    """A structlog logger that flushes once per event-loop iteration, not once per line.

    Lines are written at once, so nothing is reordered; a burst of requests finishing in one
    iteration costs one write syscall instead of one each, and no line waits longer than that.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._flush_pending = False

    def msg(self, message: str) -> None:
        self._stream.write(message + "\n")
        if self._flush_pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # start-up and tests outside a loop: flush now
            self._stream.flush()
            return
        self._flush_pending = True
        loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        self._stream.flush()

    debug = info = warning = error = critical = exception = msg


def _dumps(event: Any, **_: Any) -> str:
    return orjson.dumps(event, default=str).decode()


def configure_logging(level: str, stream: TextIO | None = None) -> FilteringBoundLogger:
    """Set up structlog and stdlib logging; return the journal's logger."""
    out = stream or sys.stdout
    numeric = LEVELS[level]
    writer = BatchingWriter(out)
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, structlog.processors.JSONRenderer(_dumps)],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=lambda *_: writer,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(_dumps),
            ],
        )
    )
    for name in ("", "uvicorn", "uvicorn.error"):
        stdlib_logger = logging.getLogger(name)
        stdlib_logger.handlers = [handler] if name == "" else []
        stdlib_logger.propagate = name != ""
        stdlib_logger.setLevel(numeric)
    # AccessMiddleware writes the one line per request; uvicorn's own access line would double it.
    access = logging.getLogger("uvicorn.access")
    access.handlers, access.propagate, access.disabled = [], False, True
    journal_logger: FilteringBoundLogger = structlog.get_logger("journal").bind()
    return journal_logger
