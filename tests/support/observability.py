"""Prometheus, promtool, VictoriaLogs and vlagent from testenv/observability/build.sh, for tests."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from kbp.ports import free_ports
from support.builds import built
from support.processes import stop_group

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "testenv" / "observability" / "build.sh"
BINARIES = ("prometheus", "promtool", "victoria-logs", "vlagent")


def bin_dir() -> Path:
    """The (cached) build's directory; fails, never skips, when the build fails."""
    return built(BUILD, *BINARIES)


@dataclass
class LogStore:
    """A real VictoriaLogs on loopback."""

    url: str
    process: subprocess.Popen[bytes]

    def ingest(self, entries: Sequence[dict[str, Any]]) -> None:
        """Lines as vlagent writes them (stream fields: container, pod, namespace), then flush."""
        body = "\n".join(json.dumps(e) for e in entries).encode()
        stream = "kubernetes.container_name,kubernetes.pod_name,kubernetes.pod_namespace"
        params = {"_stream_fields": stream, "_msg_field": "event", "_time_field": "timestamp"}
        httpx.post(f"{self.url}/insert/jsonline", params=params, content=body, timeout=10).raise_for_status()
        httpx.get(f"{self.url}/internal/force_flush", timeout=10).raise_for_status()

    def post_lines(self, lines: Sequence[str]) -> None:
        """JSON lines straight into the store, visible when it flushes on its own (no force_flush)."""
        params = {"_msg_field": "event", "_time_field": "timestamp"}
        httpx.post(
            f"{self.url}/insert/jsonline", params=params, content="\n".join(lines), timeout=10
        ).raise_for_status()

    def query(self, logsql: str) -> list[dict[str, Any]]:
        resp = httpx.post(f"{self.url}/select/logsql/query", data={"query": logsql}, timeout=10)
        resp.raise_for_status()
        return [json.loads(line) for line in resp.text.splitlines() if line.strip()]


@contextmanager
def serving(
    argv: Sequence[str], ready_url: str, log_path: Path, timeout_s: float
) -> Iterator[subprocess.Popen[bytes]]:
    """Run one of the build's servers in a session of its own until `ready_url` answers 200; always
    stop it. Fails with the log's tail if it exits or is not ready in time."""
    log = log_path.open("wb")
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            assert process.poll() is None, log_path.read_text()[-3000:]
            try:
                if httpx.get(ready_url, timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"{argv[0]} not ready at {ready_url} in {timeout_s:.0f} s"
            time.sleep(0.1)
        yield process
    finally:
        stop_group(process, 15)
        log.close()


@contextmanager
def log_store(data: Path) -> Iterator[LogStore]:
    """VictoriaLogs from the observability build, on a free loopback port, stopped afterwards."""
    [port] = free_ports(1)
    url = f"http://127.0.0.1:{port}"
    argv = [
        str(bin_dir() / "victoria-logs"),
        f"-storageDataPath={data / 'storage'}",
        f"-httpListenAddr=127.0.0.1:{port}",
    ]
    with serving(argv, f"{url}/health", data / "victoria-logs.log", 30) as process:
        yield LogStore(url, process)
