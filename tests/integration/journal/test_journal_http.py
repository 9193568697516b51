"""The HTTP server under `python -m journal` (journal/httpproto.py), spoken to over raw sockets.

What a client or a proxy relies on: keep-alive, pipelined requests answered in order, bad bytes and
oversized requests refused with a JSON `detail` and the connection closed, a client that leaves a
request unfinished cut off, HEAD without a body, `Expect: 100-continue` answered, HTTP/1.0 closed
after its answer.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httptools
import pytest

from kbp.ports import free_ports
from support.journal import JournalProcess, journal_env, running_journal
from support.redis import RedisPair

WAIT_S = 30.0  # generous: only a bound for a test that would otherwise hang


@pytest.fixture(scope="module")
def live(redis_pair: RedisPair, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JournalProcess]:
    directory = tmp_path_factory.mktemp("journal-http")
    env = journal_env(
        redis_pair, port=free_ports(1)[0], config_dir=directory, max_body_bytes="200", request_timeout_s="5"
    )
    with running_journal(env, directory) as journal:
        yield journal


class Answer:
    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""

    def json(self) -> dict[str, object]:
        loaded = json.loads(self.body)
        assert isinstance(loaded, dict)
        return loaded


class Reader:
    """Answers read off one socket, parsed by httptools' response parser."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.done: list[Answer] = []
        self._current = Answer()
        self._parser = httptools.HttpResponseParser(self)
        self.closed = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self._current.headers[name.decode().lower()] = value.decode()

    def on_body(self, body: bytes) -> None:
        self._current.body += body

    def on_message_complete(self) -> None:
        self._current.status = self._parser.get_status_code()
        self.done.append(self._current)
        self._current = Answer()

    def read(self, count: int) -> list[Answer]:
        """`count` answers, or what came before the server closed the connection."""
        deadline = time.monotonic() + WAIT_S
        while len(self.done) < count and not self.closed:
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            data = self.sock.recv(65536)
            if not data:
                self.closed = True
            else:
                self._parser.feed_data(data)
        return self.done[:count]

    def wait_closed(self) -> bool:
        self.read(len(self.done) + 1)
        return self.closed


def connect(journal: JournalProcess) -> tuple[socket.socket, Reader]:
    sock = socket.create_connection(("127.0.0.1", journal.port), timeout=WAIT_S)
    return sock, Reader(sock)


def get(path: str, *extra: str) -> bytes:
    return "\r\n".join([f"GET {path} HTTP/1.1", "Host: journal", *extra, "", ""]).encode()


def post(body: bytes, *extra: str) -> bytes:
    head = ["POST /api HTTP/1.1", "Host: journal", "Content-Type: application/json", *extra]
    if not any(line.lower().startswith("transfer-encoding") for line in extra):
        head.append(f"Content-Length: {len(body)}")
    return "\r\n".join([*head, "", ""]).encode() + body


def test_pipelined_requests_on_one_connection_are_answered_in_order(live: JournalProcess) -> None:
    sock, reader = connect(live)
    with sock:
        sock.sendall(get("/healthz") + post(b'{"text": "pipelined"}') + get("/api") + get("/nope"))
        answers = reader.read(4)
        sock.sendall(get("/healthz"))  # the connection is kept alive
        (later,) = reader.read(5)[4:]

    assert [a.status for a in answers] == [200, 201, 200, 404]
    created = answers[1].json()
    assert created["text"] == "pipelined"
    items = answers[2].json()["items"]
    assert isinstance(items, list)
    assert created in items  # the read came after the write on the same connection
    assert all(int(a.headers["content-length"]) == len(a.body) for a in answers)
    assert "connection" not in answers[0].headers
    assert later.status == 200


@pytest.mark.parametrize(
    ("request_bytes", "status", "detail"),
    [
        pytest.param(b"NOT HTTP AT ALL\r\n\r\n", 400, "malformed HTTP request", id="garbage"),
        pytest.param(get("/api", "Bad Header Without Colon"), 400, "malformed HTTP request", id="header"),
        pytest.param(
            get("/api", "X-Big: " + "a" * 20_000),
            431,
            "request line and headers are larger than 16384 bytes",
            id="headers-too-large",
        ),
    ],
)
def test_bytes_that_are_not_a_request_are_refused_and_the_connection_closed(
    live: JournalProcess, request_bytes: bytes, status: int, detail: str
) -> None:
    sock, reader = connect(live)
    with sock:
        sock.sendall(get("/healthz") + request_bytes)
        answers = reader.read(2)
        closed = reader.wait_closed()

    assert [a.status for a in answers] == [200, status]  # the good request before it is still answered
    assert str(answers[1].json()["detail"]).startswith(detail)
    assert answers[1].headers["connection"] == "close"
    assert closed


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_an_oversized_body_gets_413_and_the_rest_is_not_read(live: JournalProcess, declared: bool) -> None:
    text = b'{"text": "' + b"x" * 1000 + b'"}'
    if declared:
        request = post(text)
    else:
        chunk = b"%x\r\n%s\r\n" % (len(text), text)
        request = post(b"", "Transfer-Encoding: chunked") + chunk  # no last chunk: the server stops first
    sock, reader = connect(live)
    with sock:
        sock.sendall(request)
        (answer,) = reader.read(1)
        closed = reader.wait_closed()

    assert answer.status == 413
    assert answer.json()["detail"] == "request body is larger than 200 bytes"
    assert answer.headers["connection"] == "close"
    assert closed


def test_a_client_that_leaves_its_request_unfinished_is_cut_off(live: JournalProcess) -> None:
    sock, reader = connect(live)
    with sock:
        sock.sendall(b"GET /api HTTP/1.1\r\nHost: jour")  # and nothing more
        started = time.monotonic()
        closed = reader.wait_closed()
        waited = time.monotonic() - started
    healthy = connect(live)

    assert closed
    assert waited >= 1.0  # not at once: JOURNAL_REQUEST_TIMEOUT_S (5 s here) is swept once a second
    with healthy[0]:
        healthy[0].sendall(get("/healthz"))
        assert [a.status for a in healthy[1].read(1)] == [200]


def test_head_has_no_body(live: JournalProcess) -> None:
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=WAIT_S)
    with sock:
        sock.sendall(b"HEAD /api HTTP/1.1\r\nHost: journal\r\n\r\n" + get("/healthz"))
        data = b""
        while data.count(b"HTTP/1.1 ") < 2 or not data.endswith(b'"ok"}'):
            data += sock.recv(65536)

    head, after = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert int(head.split(b"content-length: ")[1].split(b"\r\n")[0]) > 0
    assert after.startswith(b"HTTP/1.1 200 OK\r\n")  # the next answer, not a body


def test_expect_100_continue_is_answered(live: JournalProcess) -> None:
    body = b'{"text": "after continue"}'
    sock, reader = connect(live)
    with sock:
        sock.sendall(
            post(b"", "Expect: 100-continue").replace(b"Content-Length: 0", b"Content-Length: %d" % len(body))
        )
        interim = sock.recv(64)
        sock.sendall(body)
        (created,) = reader.read(1)

    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert created.status == 201


def test_http_1_0_closes_after_its_answer(live: JournalProcess) -> None:
    sock, reader = connect(live)
    with sock:
        sock.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        (answer,) = reader.read(1)
        closed = reader.wait_closed()

    assert answer.status == 200
    assert closed
