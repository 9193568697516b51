"""An answer's bytes, as journal.httpproto writes them."""

from __future__ import annotations

from journal.httpmessages import Request, encode

END = b"date: Tue, 08 Dec 2026 01:00:00 GMT\r\n\r\n"


def request(method: str = "GET") -> Request:
    made = Request()
    made.method = method
    return made


def test_an_answer_has_its_length_and_ends_with_the_servers_date() -> None:
    answer = encode(request(), 201, [("content-type", "application/json")], b"{}", close=False, end=END)

    assert answer == (
        b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 2\r\n" + END + b"{}"
    )


def test_head_keeps_the_length_but_not_the_body_and_204_has_neither() -> None:
    head = encode(request("HEAD"), 200, [], b"12345", close=False, end=END)
    empty = encode(request("DELETE"), 204, [], b"", close=False, end=END)

    assert head == b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n" + END
    assert empty == b"HTTP/1.1 204 No Content\r\n" + END


def test_the_server_alone_says_whether_the_connection_closes() -> None:
    closing = encode(request(), 200, [("connection", "close")], b"", close=True, end=END)
    kept = encode(request(), 200, [("connection", "keep-alive")], b"", close=False, end=END)

    assert closing.count(b"connection: close\r\n") == 1
    assert b"connection" not in kept
