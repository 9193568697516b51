"""Redis URLs: what the service connects to, and the URLs it refuses at start-up."""

from __future__ import annotations

import pytest

from journal.redisurls import RedisUrl, parse_redis_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("redis://redis-write:6379/0", RedisUrl("redis-write", 6379, 0, tls=False), id="plain"),
        pytest.param("redis://10.0.0.7/3", RedisUrl("10.0.0.7", 6379, 3, tls=False), id="default-port"),
        pytest.param("redis://localhost:7000", RedisUrl("localhost", 7000, 0, tls=False), id="no-db"),
        pytest.param("rediss://cache:6380/1", RedisUrl("cache", 6380, 1, tls=True), id="tls"),
        pytest.param("redis://[::1]:6390/0", RedisUrl("::1", 6390, 0, tls=False), id="ipv6"),
        pytest.param(
            "redis://journal:p%40ss@h:1/0",
            RedisUrl("h", 1, 0, tls=False, username="journal", password="p@ss"),
            id="acl-user",
        ),
    ],
)
def test_valid_urls(url: str, expected: RedisUrl) -> None:
    parsed = parse_redis_url(url)

    assert parsed == expected
    assert parsed.password == expected.password  # not compared by == (kept out of repr)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("redis://h:99999/0", "the port must be an integer from 1 to 65535", id="port-too-big"),
        pytest.param("redis://h:0/0", "the port must be an integer from 1 to 65535", id="port-0"),
        pytest.param("redis://h:x/0", "the port must be an integer", id="port-text"),
        pytest.param("redis://h:\u0661\u0662/0", "the port must be an integer", id="port-arabic-digits"),
        pytest.param("redis://h/abc", "the database must be an integer from 0", id="db-text"),
        pytest.param("redis://h/1/2", "the database must be an integer from 0", id="db-path"),
        pytest.param("redis://h/99999999", "the database must be an integer from 0", id="db-too-big"),
        pytest.param("http://h/0", "expected a URL like redis://", id="scheme"),
        pytest.param("redis:///0", "expected a URL like redis://", id="no-host"),
        pytest.param("redis://h/0?ssl_cert_reqs=none", "query parameters", id="query"),
    ],
)
def test_invalid_urls_say_what_was_expected(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_redis_url(url)


def test_the_password_is_not_in_repr() -> None:
    assert "hunter2" not in repr(parse_redis_url("redis://:hunter2@h/0"))
