"""The HTTP server alone: the journal's (journal.httpproto) against Granian's RSGI and uvicorn, in one run.

Each server runs in a process of its own (uvloop, one worker, no access log) with the same handler: it
awaits one future resolved on the next loop turn, as a request waiting on Redis would, and answers a
1 KB JSON body. `wrk -t1 -c32` goes straight at each, round after round in rotating order. Prints each
server's median req/s and CPU per request (every thread of its processes: Granian parses and writes on
threads of its own), and each one's CPU per request over the journal's, per round and the median.
Granian and uvicorn are not dependencies: install them into the venv for this bench
(`uv pip install --python .venv/bin/python granian uvicorn`); a missing one fails, naming it.

    .venv/bin/python -m bench.http_servers [--rounds 3] [--duration 5] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import median_high as median  # sorted(values)[n // 2], as before
from typing import Any

import structlog
import uvloop
from bench import cpu, peer
from bench import journal as bench

from journal.httpmessages import Request, Response
from journal.serving import HttpServer, serve_until_stopped
from kbp.ports import free_ports

SERVERS = ("journal", "granian", "uvicorn")
BODY = b'{"items":[' + b",".join([b'{"id":1,"text":"' + b"x" * 80 + b'"}'] * 10) + b"]}"


async def _one_turn() -> None:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_soon(future.set_result, None)
    await future


def serve_journal(port: int) -> None:
    async def handler(request: Request) -> Response:
        await _one_turn()
        return 200, [("content-type", "application/json")], BODY

    async def nothing() -> None:
        return None

    async def main() -> None:
        server = HttpServer(handler, refused=lambda status, detail: (status, [], b""), max_body_bytes=4096,
                            request_timeout_s=10, log=structlog.get_logger())  # fmt: skip
        await serve_until_stopped(server, host="127.0.0.1", port=port, startup=nothing, shutdown=nothing,
                                  shutdown_timeout_s=1)  # fmt: skip

    uvloop.run(main())


class _Rsgi:
    async def __call__(self, scope: Any, proto: Any) -> None:
        await _one_turn()
        proto.response_bytes(200, [("content-type", "application/json")], BODY)


def serve_granian(port: int) -> None:
    # Imported by name: neither Granian nor uvicorn is a dependency (see the docstring).
    granian = importlib.import_module("granian")
    constants = importlib.import_module("granian.constants")
    server = granian.Granian(
        "bench.http_servers:_Rsgi",
        address="127.0.0.1",
        port=port,
        interface=constants.Interfaces.RSGI,
        workers=1,
        loop=constants.Loops.uvloop,
        http=constants.HTTPModes.http1,
        websockets=False,
        log_access=False,
    )
    server.serve(target_loader=_Rsgi, wrap_loader=False)


async def _asgi(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await _one_turn()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(BODY))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": BODY})


def serve_uvicorn(port: int) -> None:
    uvicorn = importlib.import_module("uvicorn")
    uvicorn.run(_asgi, host="127.0.0.1", port=port, loop="uvloop", http="httptools", access_log=False,
                log_level="warning", lifespan="off")  # fmt: skip


def measure(name: str, script: Path, args: argparse.Namespace) -> tuple[float, float]:
    """req/s and CPU µs per request of one server, started for this measurement and stopped after."""
    port = free_ports(1)[0]
    process = subprocess.Popen([sys.executable, "-m", "bench.http_servers", "--serve", name, str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        peer.wait_for(f"http://127.0.0.1:{port}/")
        pids = [process.pid, *cpu.descendants(process.pid)]
        before = cpu.cpu_seconds(pids)
        report = bench.wrk(f"http://127.0.0.1:{port}/", script, threads=1, connections=args.connections,
                           duration_s=args.duration)  # fmt: skip
        spent = cpu.spent(before, cpu.cpu_seconds(pids))
    finally:
        process.terminate()
        process.wait(timeout=30)
    requests = max(report["requests"], 1)
    return report["requests"] / (report["duration_us"] / 1e6), spent * 1e6 / requests


def run(args: argparse.Namespace) -> int:
    missing = [name for name in ("granian", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        print(f"error: {', '.join(missing)} not installed: uv pip install --python {sys.executable} "
              f"{' '.join(missing)}", file=sys.stderr)  # fmt: skip
        return 2
    print(f"wrk -t1 -c{args.connections} -d{args.duration}s, {args.rounds} rounds; "
          f"load average at start {os.getloadavg()[0]:.2f}")  # fmt: skip
    cells: dict[str, list[tuple[float, float]]] = {name: [] for name in SERVERS}
    with tempfile.TemporaryDirectory(prefix="kbp-bench-http-") as tmp:
        script = bench.write_scripts(Path(tmp))["get"]
        for number in range(args.rounds):
            order = SERVERS[number % 3 :] + SERVERS[: number % 3]
            for name in order:
                cells[name].append(measure(name, script, args))
    print(f"\n{'server':<8} {'req/s':>8} {'µs/req':>7}  CPU per request / the journal's (rounds)")
    for name, runs in cells.items():
        ratios = [us / journal_us for (_, us), (_, journal_us) in zip(runs, cells["journal"], strict=True)]
        print(f"{name:<8} {median([r for r, _ in runs]):>8.0f} {median([u for _, u in runs]):>7.1f}  "
              f"{median(ratios):.2f} ({' '.join(f'{r:.2f}' for r in ratios)})")  # fmt: skip
    print(f"load average at the end {os.getloadavg()[0]:.2f}")
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--serve", nargs=2, metavar=("SERVER", "PORT"), help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.serve:
        server, server_port = arguments.serve
        {"journal": serve_journal, "granian": serve_granian, "uvicorn": serve_uvicorn}[server](
            int(server_port)
        )
        sys.exit(0)
    sys.exit(run(arguments))
