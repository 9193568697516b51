"""The journal for tests, on a real Redis pair: in-process (httpx over ASGI) or as a real process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from journal.app import create_app
from journal.settings import Config, load_config
from support.processes import signal_group, stop_group
from support.redis import RedisPair

ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def config_for(pair: RedisPair, **overrides: Any) -> Config:
    settings: dict[str, Any] = {
        "redis_write_url": pair.primary.url,
        "redis_read_url": pair.replica.url,
        "redis_password_file": pair.password_file,
        "redis_timeout_s": 2.0,
    }
    return load_config(**{**settings, **overrides})


@asynccontextmanager
async def journal_client(config: Config) -> AsyncIterator[httpx.AsyncClient]:
    """A client for a fresh app (its own store and connections), with the lifespan run around it."""
    app = create_app(config)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://journal") as client:
            yield client


@dataclass
class JournalProcess:
    """`python -m journal` as a real process, in its own process group."""

    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_events(self) -> list[dict[str, Any]]:
        """Every stdout line parsed as JSON; a line that is not JSON fails the test."""
        return [json.loads(line) for line in self.log_text().splitlines() if line.strip()]

    def terminate(self) -> None:
        """SIGTERM (what Kubernetes sends), as a graceful stop."""
        signal_group(self.process, signal.SIGTERM)

    def stop(self, timeout_s: float = 30.0) -> int:
        """SIGTERM, wait, then SIGKILL; return the exit code."""
        return stop_group(self.process, timeout_s)


def journal_env(pair: RedisPair, *, port: int, config_dir: Path, **settings: str) -> dict[str, str]:
    """The environment for `python -m journal` on this pair; settings are JOURNAL_<NAME> values."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("JOURNAL_")}
    env.update(
        JOURNAL_HOST="127.0.0.1",
        JOURNAL_PORT=str(port),
        JOURNAL_CONFIG_DIR=str(config_dir),
        JOURNAL_REDIS_WRITE_URL=pair.primary.url,
        JOURNAL_REDIS_READ_URL=pair.replica.url,
        JOURNAL_REDIS_PASSWORD_FILE=str(pair.password_file),
    )
    env.update({f"JOURNAL_{name.upper()}": value for name, value in settings.items()})
    return env


@contextmanager
def running_journal(
    env: dict[str, str], directory: Path, timeout_s: float = 30.0
) -> Iterator[JournalProcess]:
    """Start the service, wait for /healthz, always stop it; show the log tail if it never came up."""
    log_path = directory / "journal.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "journal"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    journal = JournalProcess(process, int(env["JOURNAL_PORT"]), log_path)
    try:
        deadline = time.monotonic() + timeout_s
        while not _answers(journal.url + "/healthz"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"journal did not start (exit {process.poll()}):\n{journal.log_text()[-3000:]}"
                )
            time.sleep(0.05)
        yield journal
    finally:
        journal.stop()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False
