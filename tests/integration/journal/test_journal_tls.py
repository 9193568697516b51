"""rediss:// against Debian's redis-server serving TLS only (`port 0`, `tls-port`), real certificates."""

from __future__ import annotations

import secrets
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from journal.pipelining import Address, Connection, ConnectionFailedError
from kbp.ports import free_ports
from support.journal import ClientFactory
from support.redis import RedisPair, RedisServer, ServerSpec, start, stop
from support.tlscerts import TlsFiles, make_tls_files

pytestmark = pytest.mark.anyio


@dataclass
class TlsRedis:
    server: RedisServer
    files: TlsFiles
    password_file: Path

    def url(self, scheme: str) -> str:
        return f"{scheme}://127.0.0.1:{self.server.port}/0"


@pytest.fixture(scope="module")
def tls_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsRedis]:
    directory = tmp_path_factory.mktemp("redis-tls")
    password = secrets.token_urlsafe(24)
    password_file = directory / "passwd"
    password_file.write_text(password + "\n")
    files = make_tls_files(directory / "pki")
    server = start(ServerSpec("redis-tls", free_ports(1)[0], directory / "server", password, tls=files))
    try:
        yield TlsRedis(server, files, password_file)
    finally:
        stop(server)


def as_pair(tls: TlsRedis) -> RedisPair:
    return RedisPair(tls.server, tls.server, tls.server.spec.password, tls.password_file)


async def test_the_journal_works_over_tls_only(journal_for: ClientFactory, tls_redis: TlsRedis) -> None:
    url = tls_redis.url("rediss")
    async with journal_for(
        as_pair(tls_redis),
        redis_write_url=url,
        redis_read_url=url,
        redis_ca_file=tls_redis.files.ca,
        replica_acks=0,
    ) as journal:
        created = await journal.post("/api", json={"text": "encrypted on the wire"})
        page = (await journal.get("/api")).json()

    assert created.status_code == 201
    assert created.json() in page["items"]
    # The server has no plain-text port: the entry can only have arrived over TLS.
    assert tls_redis.server.client().hget("journal:entries", created.json()["id"]) == created.content


async def test_a_plain_url_to_the_tls_port_fails_clearly(tls_redis: TlsRedis) -> None:
    connection = Connection(Address("127.0.0.1", tls_redis.server.port, 0, 2.0, password="x"))

    with pytest.raises(
        ConnectionFailedError,
        match=r"closed the connection before answering \(a TLS port needs a rediss:// URL\)",
    ):
        await connection.call("PING")


async def test_a_server_certificate_from_another_ca_is_refused(tls_redis: TlsRedis, tmp_path: Path) -> None:
    other = make_tls_files(tmp_path / "other", ca_name="someone else")
    address = Address(
        "127.0.0.1",
        tls_redis.server.port,
        0,
        2.0,
        password="x",
        tls=ssl.create_default_context(cafile=str(other.ca)),
    )

    with pytest.raises(ConnectionFailedError, match="TLS verification failed"):
        await Connection(address).call("PING")


async def test_the_unencrypted_journal_is_refused_by_the_tls_port(
    journal_for: ClientFactory, tls_redis: TlsRedis
) -> None:
    url = tls_redis.url("redis")
    async with journal_for(
        as_pair(tls_redis), redis_write_url=url, redis_read_url=url, replica_acks=0
    ) as journal:
        created = await journal.post("/api", json={"text": "would go out in clear"})
        ready = await journal.get("/readyz")

    assert created.status_code == 503
    assert ready.status_code == 503
