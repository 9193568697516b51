"""JSON logs on stdout: one event per line, snake_case keys, the request id from contextvars.

structlog renders the journal's own events; uvicorn's stdlib records go through the same
renderer, so every line on stdout is JSON.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import orjson
import structlog
from structlog.typing import FilteringBoundLogger, Processor

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
LEVELS["critical"] = logging.CRITICAL


def _dumps(event: Any, **_: Any) -> str:
    return orjson.dumps(event, default=str).decode()


def configure_logging(level: str, stream: TextIO | None = None) -> FilteringBoundLogger:
    """Set up structlog and stdlib logging; return the journal's logger."""
    out = stream or sys.stdout
    numeric = LEVELS[level]
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, structlog.processors.JSONRenderer(_dumps)],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.WriteLoggerFactory(file=out),
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
