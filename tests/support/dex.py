"""A real OIDC issuer for tests: Dex (built by testenv/build.sh from testenv/dex), HTTPS with a test CA.

Static users with groups, memory storage, the password grant (scriptable, no browser) and ID
tokens that expire after `ID_TOKEN_TTL`, so expiry and refresh can be tested in seconds.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from kbp.auth import tokens
from kbp.ports import free_ports
from support.processes import stop_group
from support.tlscerts import make_tls_files

CLIENT_ID = "kbp"
OTHER_CLIENT_ID = "other-app"  # a second client: its tokens carry the wrong audience for kbp's
ID_TOKEN_TTL_S = 8
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Person:
    email: str
    password: str
    groups: tuple[str, ...]
    # bcrypt of `password` at cost 10 (Dex's minimum), made once with Python's crypt module.
    bcrypt: str


ALICE = Person(
    "alice@example.com", "alice-password", ("payments-devs",),
    "$2b$10$GjltXYDWOyW.AbzVVtNN6utV46seX1JaMe726oJrYqPuj2f8.eLl.",
)  # fmt: skip
BOB = Person(
    "bob@example.com", "bob-password", ("search-devs",),
    "$2b$10$9/dtvSnHqIJLb6jqSi.hi.LIYRQKIJja2xsnPkMy460VJU.qBeGpy",
)  # fmt: skip
MALLORY = Person(  # outside example.com: fails the tests' CEL rule
    "mallory@elsewhere.test", "carol-password", ("payments-devs",),
    "$2b$10$zluYf.EQA/Gjl6JImqoDkOWGtIGZ0UChToL.Rhqs1sk5K.nHdKKDC",
)  # fmt: skip
PEOPLE = (ALICE, BOB, MALLORY)


@dataclass(frozen=True)
class Dex:
    issuer: str
    ca_file: Path
    log: Path

    @property
    def ca_pem(self) -> str:
        return self.ca_file.read_text()

    def client(self, client_id: str = CLIENT_ID) -> tokens.Issuer:
        return tokens.Issuer(tokens.Client(self.issuer, client_id, self.ca_pem))

    def password_token(self, person: Person, client_id: str = CLIENT_ID) -> tokens.Tokens:
        remote = self.client(client_id)
        try:
            return remote.password(person.email, person.password)
        finally:
            remote.close()


def config(issuer: str, port: int, tls_cert: Path, tls_key: Path) -> dict[str, object]:
    return {
        "issuer": issuer,
        "storage": {"type": "memory"},
        "web": {"https": f"127.0.0.1:{port}", "tlsCert": str(tls_cert), "tlsKey": str(tls_key)},
        "logger": {"level": "info"},
        "expiry": {"idTokens": f"{ID_TOKEN_TTL_S}s", "deviceRequests": "5m"},
        "oauth2": {
            "skipApprovalScreen": True,
            "passwordConnector": "local",
            "grantTypes": [
                "authorization_code",
                "refresh_token",
                "password",
                "urn:ietf:params:oauth:grant-type:device_code",
            ],
        },
        "staticClients": [
            {"id": CLIENT_ID, "name": "kbp", "public": True, "redirectURIs": ["http://localhost:8000"]},
            {
                "id": OTHER_CLIENT_ID,
                "name": "other",
                "public": True,
                "redirectURIs": ["http://localhost:8001"],
            },
        ],
        "enablePasswordDB": True,
        "staticPasswords": [
            {
                "email": p.email,
                "username": p.email.split("@")[0],
                "userID": f"id-{p.email.split('@')[0]}",
                "hash": p.bcrypt,
                "groups": list(p.groups),
            }
            for p in PEOPLE
        ],
    }


@contextmanager
def running(bin_dir: Path, directory: Path) -> Iterator[Dex]:
    """Start Dex on a free loopback port; stop it on the way out. A missing binary fails loudly."""
    binary = bin_dir / "dex"
    if not binary.is_file():
        raise AssertionError(
            f"{binary}: missing; run `bash testenv/build.sh` (it builds Dex from testenv/dex)"
        )
    directory.mkdir(parents=True, exist_ok=True)
    tls = make_tls_files(directory / "tls", ca_name="kbp test Dex CA")
    (port,) = free_ports(1)
    issuer = f"https://127.0.0.1:{port}/dex"
    config_file = directory / "config.json"  # Dex reads YAML, of which JSON is a subset
    config_file.write_text(json.dumps(config(issuer, port, tls.cert, tls.key)))
    log = directory / "dex.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(binary), "serve", str(config_file)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    dex = Dex(issuer, tls.ca, log)
    try:
        _wait_ready(dex, process)
        yield dex
    finally:
        stop_group(process, 10.0)


def _wait_ready(dex: Dex, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    url = f"{dex.issuer}/.well-known/openid-configuration"
    trust = ssl.create_default_context(cafile=str(dex.ca_file))
    while True:
        if process.poll() is not None:
            raise AssertionError(f"dex exited {process.returncode}:\n{dex.log.read_text()[-3000:]}")
        try:
            if httpx.get(url, verify=trust, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"dex not ready after {START_TIMEOUT_S:g}s:\n{dex.log.read_text()[-3000:]}")
        time.sleep(0.1)


def token_kubeconfig(server: str, ca: Path, token: str, path: Path) -> Path:
    """A kubeconfig that presents `token` as a bearer token (what the exec plugin hands kubectl)."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server, "certificate-authority": str(ca)}}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c",
    }
    path.write_text(json.dumps(doc))
    path.chmod(0o600)
    return path
