"""JSON logs on stdout: one event per line, snake_case keys, the request id from contextvars.

structlog renders the journal's own events; stdlib records (asyncio's, a library's) go through the
same renderer, so every line on stdout is JSON.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
from typing import Any, TextIO

import orjson
import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
LEVELS["critical"] = logging.CRITICAL


class BatchingWriter:
    """A structlog logger (and the stdlib handler's stream) that writes once per event-loop iteration.

    Lines are kept in order and written together at the end of the iteration, with one `write` and
    one flush: a burst of requests finishing in one iteration costs one system call instead of one
    each, even on an unbuffered stdout (`PYTHONUNBUFFERED=1`, as the image sets, made each line a
    `write` of its own: ~1 system call per request, py-spy and strace under the 80/20 mix), and no
    line waits longer than that. Outside a loop (start-up, another thread) what is pending is
    written at once.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._pending: list[str] = []
        self._lock = threading.Lock()  # another thread may log through the stdlib handler

    def msg(self, message: str) -> None:
        self.write(message + "\n")

    def write(self, text: str) -> None:
        with self._lock:
            self._pending.append(text)
            if len(self._pending) > 1:
                return  # a write-out is already scheduled (or this thread's line is written below)
        # The first line of an iteration only: each lookup of the running loop is a getpid() call.
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # start-up and tests outside a loop, or another thread: write now
            self.flush_now()
            return
        loop.call_soon(self.flush_now)

    def flush(self) -> None:
        """The stdlib handler flushes after each record: the iteration's write-out does it."""

    def flush_now(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
        if pending:
            self._stream.write("".join(pending))
            self._stream.flush()

    debug = info = warning = error = critical = exception = msg


class UtcTimestamper:
    """`timestamp` as RFC 3339 UTC with microseconds; the date part is formatted once per second.

    structlog's TimeStamper builds a datetime and calls isoformat() for every line; this is the
    per-request hot path, so the second is cached.
    """

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self, logger: Any, method: str, event: EventDict) -> EventDict:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second, self._prefix = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        event["timestamp"] = f"{self._prefix}.{int((now - second) * 1_000_000):06d}Z"
        return event


class RequestLine:
    """The per-request access line, written straight to the batching writer.

    The same JSON object structlog would render (its fields, `event`, the request id, level and
    timestamp), without the processor chain, which took a third of the app's time per cached
    `GET /api` (py-spy). Off below level info, as structlog's filtering would have it.
    """

    def __init__(self, writer: BatchingWriter, *, enabled: bool) -> None:
        self._writer = writer
        self.enabled = enabled

    def __call__(self, *, request_id: str, method: str, route: str, status: int, duration_ms: float) -> None:
        if self.enabled:
            event = {"method": method, "route": route, "status": status, "duration_ms": duration_ms}
            event |= {"event": "request", "request_id": request_id, "level": "info"}
            self._writer.msg(_dumps(_TIMESTAMPER(None, "info", event)))


def _dumps(event: Any, **_: Any) -> str:
    return orjson.dumps(event, default=str).decode()


_TIMESTAMPER = UtcTimestamper()
_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    _TIMESTAMPER,
]


def json_formatter() -> logging.Formatter:
    """Render stdlib records as the same JSON lines as structlog's (a `logging.config` factory)."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_SHARED, structlog.stdlib.add_logger_name],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(_dumps),
        ],
    )


def configure_logging(level: str, stream: TextIO | None = None) -> FilteringBoundLogger:
    """Set up structlog and stdlib logging; return the journal's logger (`request_line` then
    writes the access line to the same stream)."""
    global _request_line, _writer  # noqa: PLW0603 - logging is process-wide, as structlog's configuration is
    out = stream or sys.stdout
    numeric = LEVELS[level]
    writer = _writer = BatchingWriter(out)
    _request_line = RequestLine(writer, enabled=numeric <= logging.INFO)
    structlog.configure(
        processors=[
            *_SHARED,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(_dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=lambda *_: writer,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(writer)  # it uses only write and flush
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric)
    journal_logger: FilteringBoundLogger = structlog.get_logger("journal").bind()
    return journal_logger


_writer = BatchingWriter(sys.stdout)
_request_line = RequestLine(_writer, enabled=True)


def flush() -> None:
    """Write what is pending now (at shutdown: the loop may not run another iteration)."""
    _writer.flush_now()


def request_line() -> RequestLine:
    """The access line's writer, as the last `configure_logging` set it up."""
    return _request_line
