"""A/B of the journal's own code: this tree against a git revision, side by side on one Redis, interleaved.

Starts the local stack (Redis primary + replica, `appendonly`, as bench/journal.py does), seeds 10 entries,
then one more `python -m journal` with the stack's API settings whose `journal` package comes from the
revision's `src/` (`git archive` into a temporary dir, first on PYTHONPATH): "old". "new" is the stack's
first API process (this tree). Round after round, in alternating order, wrk goes straight at each for
`GET /api` and the 95/5 and 80/20 mixes (bench/journal.py's scripts). Prints, per load, each side's median
req/s and CPU per request, of the API process alone (with its children, if any) and of every server
(Redis included), and new/old for each round with the median. CPU per request is the steadier measure on
a shared box; a change is proven when its CPU ratio moves in every round.

    .venv/bin/python -m bench.journal_ab --baseline main [--rounds 5] [--duration 5] [--connections 32]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import median_high as median  # sorted(values)[n // 2], as before

import httpx
from bench import cpu, peer
from bench import journal as bench

from kbp.localrun import programs, stack
from kbp.ports import free_ports

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Cell:
    rps: float
    api_cpu_us: float  # the API process alone, per request
    all_cpu_us: float  # every server (Redis, both API processes), per request


@contextmanager
def old_journal(revision: str, tmp: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m journal` from `revision`'s src/, answering /healthz; stopped on exit."""
    source = tmp / "old"
    source.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision, "src/journal"], check=True,
                             capture_output=True).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    with (tmp / "old-journal.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "journal"],
            env={**os.environ, **env, "PYTHONPATH": str(source / "src")},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        peer.wait_for(f"http://127.0.0.1:{env['JOURNAL_PORT']}/healthz")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def measure(url: str, script: Path, port: int, args: argparse.Namespace) -> Cell:
    servers = cpu.descendants()
    api = peer.listening_pids(port)
    before_all, before_api = cpu.cpu_seconds(servers), cpu.cpu_seconds(api)
    report = bench.wrk(url, script, threads=1, connections=args.connections, duration_s=args.duration)
    requests = max(report["requests"], 1)
    all_s = cpu.spent(before_all, cpu.cpu_seconds(servers))
    api_s = cpu.spent(before_api, cpu.cpu_seconds(api))
    if report["non2xx"] or report["socket_errors"]:
        print(f"warning: {report['non2xx']} non-2xx, {report['socket_errors']} socket errors at {url}")
    return Cell(
        report["requests"] / (report["duration_us"] / 1e6), api_s * 1e6 / requests, all_s * 1e6 / requests
    )


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="kbp-bench-ab-") as tmp_name:
        tmp = Path(tmp_name)
        options = bench.stack_options(tmp / "state", nginx_workers=1)
        up = stack.up(options, foreground=True, own_session=False, timeout_s=120)
        try:
            old_port = free_ports(1)[0]
            with old_journal(args.baseline, tmp, programs.api_env(options, old_port)):
                return ab(args, options.ports.api[0], old_port, tmp)
        finally:
            stack.down(options.paths)
            if up.process is not None:
                up.process.wait(timeout=30)


def ab(args: argparse.Namespace, new_port: int, old_port: int, tmp: Path) -> int:
    sides = {"new": new_port, "old": old_port}
    with httpx.Client(base_url=f"http://127.0.0.1:{new_port}", timeout=10) as client:
        for _ in range(10):
            client.post("/api", json={"text": bench.ENTRY_TEXT}).raise_for_status()
    scripts = bench.write_scripts(tmp)
    load_start = os.getloadavg()[0]
    print(
        f"new: this tree; old: {args.baseline}; wrk -c{args.connections} -d{args.duration}s straight at "
        f"one API process, {args.rounds} interleaved rounds; load average at start {load_start:.2f}"
    )
    cells: dict[tuple[str, str], list[Cell]] = {}
    for number in range(args.rounds):
        for load in bench.LOADS:
            script = scripts["get"] if load == "GET /api" else scripts[load]
            order = list(sides) if number % 2 == 0 else list(reversed(sides))
            for side in order:
                port = sides[side]
                cells.setdefault((load, side), []).append(
                    measure(f"http://127.0.0.1:{port}/api", script, port, args)
                )
        print(f"round {number + 1}/{args.rounds} done, load average {os.getloadavg()[0]:.2f}", flush=True)
    print(f"\n{'load':<10} {'side':<4} {'req/s':>8} {'API µs/req':>10} {'all µs/req':>10}")
    for (load, side), runs in cells.items():
        rps, api_us = median([c.rps for c in runs]), median([c.api_cpu_us for c in runs])
        print(
            f"{load:<10} {side:<4} {rps:>8.0f} {api_us:>10.0f} {median([c.all_cpu_us for c in runs]):>10.0f}"
        )
    print("\nnew / old per round (req/s; CPU per request: old / new, higher is better for new), medians")
    for load in bench.LOADS:
        new, old = cells[(load, "new")], cells[(load, "old")]
        for name, ratios in (
            ("req/s", [n.rps / o.rps for n, o in zip(new, old, strict=True)]),
            ("API CPU", [o.api_cpu_us / n.api_cpu_us for n, o in zip(new, old, strict=True)]),
            ("all CPU", [o.all_cpu_us / n.all_cpu_us for n, o in zip(new, old, strict=True)]),
        ):
            each = " ".join(f"{r:.2f}" for r in ratios)
            print(f"{load:<10} {name:<8} {median(ratios):5.2f}  (rounds: {each})")
    print(f"load average at start {load_start:.2f}, at the end {os.getloadavg()[0]:.2f}")
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--baseline", required=True, help="git revision whose src/journal is 'old'")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default 5)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(run(parse_args()))
