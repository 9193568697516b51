"""JSON log lines: one per event, RFC 3339 UTC timestamps, flushed once per loop iteration."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re

import structlog

from journal.logs import (
    BatchingWriter,
    UtcTimestamper,
    configure_logging,
    flush,
    json_formatter,
    request_line,
)


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def test_a_line_is_json_with_level_timestamp_and_fields() -> None:
    stream = io.StringIO()
    log = configure_logging("info", stream=stream)

    log.info("request", method="GET", status=200)
    log.debug("hidden")

    (line,) = stream.getvalue().splitlines()
    event = json.loads(line)
    assert event["event"] == "request"
    assert (event["method"], event["status"], event["level"]) == ("GET", 200, "info")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", event["timestamp"])


def test_the_timestamper_reuses_the_second() -> None:
    stamp = UtcTimestamper()

    first = stamp(None, "info", {})["timestamp"]
    second = stamp(None, "info", {})["timestamp"]

    assert first[:19] <= second[:19]
    assert first.endswith("Z")


def test_outside_a_loop_every_line_is_flushed() -> None:
    stream = CountingStream()
    writer = BatchingWriter(stream)

    writer.info("a")
    writer.info("b")

    assert (stream.getvalue(), stream.flushes) == ("a\nb\n", 2)


def test_inside_a_loop_lines_are_flushed_once_per_iteration() -> None:
    stream = CountingStream()
    writer = BatchingWriter(stream)

    async def burst() -> int:
        for n in range(5):
            writer.info(str(n))
        flushes_before = stream.flushes
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return flushes_before

    assert asyncio.run(burst()) == 0
    assert stream.flushes == 1
    assert stream.getvalue() == "0\n1\n2\n3\n4\n"


def test_stdlib_records_are_json_lines_too() -> None:
    stream = io.StringIO()
    configure_logging("info", stream=stream)

    logging.getLogger("asyncio").warning("socket.send() raised exception.")
    record = logging.LogRecord("asyncio", logging.WARNING, __file__, 1, "worker %s", ("gone",), None)

    (line,) = stream.getvalue().splitlines()
    event = json.loads(line)
    assert (event["event"], event["logger"], event["level"]) == (
        "socket.send() raised exception.",
        "asyncio",
        "warning",
    )
    assert json.loads(json_formatter().format(record))["event"] == "worker gone"


def test_the_access_line_is_what_structlog_would_write() -> None:
    stream = io.StringIO()
    log = configure_logging("info", stream=stream)
    with structlog.contextvars.bound_contextvars(request_id="abc"):
        log.info("request", method="GET", route="/api", status=200, duration_ms=0.412)
    request_line()(request_id="abc", method="GET", route="/api", status=200, duration_ms=0.412)

    by_structlog, direct = (json.loads(line) for line in stream.getvalue().splitlines())
    assert list(direct) == list(by_structlog)  # same keys, in the same order
    assert {**direct, "timestamp": None} == {**by_structlog, "timestamp": None}


def test_the_access_line_is_off_below_info() -> None:
    stream = io.StringIO()
    configure_logging("warning", stream=stream)
    request_line()(request_id="abc", method="GET", route="/api", status=200, duration_ms=1.0)
    assert stream.getvalue() == ""


class CountingWrites(io.StringIO):
    """An unbuffered stream's view: each `write` is a system call."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_inside_a_loop_an_iterations_lines_are_one_write_in_order_with_the_servers() -> None:
    stream = CountingWrites()
    log = configure_logging("info", stream=stream)

    async def burst() -> int:
        for n in range(3):
            request_line()(request_id=str(n), method="GET", route="/api", status=200, duration_ms=1.0)
        logging.getLogger("asyncio").warning("from the server")
        log.info("last")
        writes_before = stream.writes
        await asyncio.sleep(0)
        return writes_before

    assert asyncio.run(burst()) == 0
    assert stream.writes == 1
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [e.get("request_id", e["event"]) for e in events] == ["0", "1", "2", "from the server", "last"]


def test_lines_pending_at_shutdown_are_written_by_flush() -> None:
    stream = io.StringIO()
    log = configure_logging("info", stream=stream)

    async def last_words() -> str:
        log.info("stopped")
        before = stream.getvalue()
        flush()
        return before

    assert asyncio.run(last_words()) == ""
    assert json.loads(stream.getvalue())["event"] == "stopped"
