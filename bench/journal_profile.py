"""Where one API process spends its time under a load: py-spy on its Python thread while wrk runs.

Starts the local stack (as bench/journal.py does: Redis primary + replica, writes acknowledged with `WAIT`),
seeds 10 entries, then runs one of bench/journal.py's loads straight at the first API process while
`py-spy record` samples its Python thread (idle time in the event loop's poll left out). Prints
the share of samples in which each function is on the stack (inclusive) and is the leaf (self), and writes
the collapsed stacks (flamegraph.pl's input) next to them. py-spy sees only Python frames (native calls
count for the Python function that made them); `--perf` adds every thread and the kernel.

    .venv/bin/python -m bench.journal_profile [--load "80/20 mix"] [--duration 20] [--rate 250]
                                              [--top 40] [--out stacks.txt] [--perf]
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bench import cpu, peer
from bench import journal as bench

from kbp.localrun import stack


def worker_pid(port: int) -> int:
    """The process serving the port: the API itself, or (an older revision under Granian) its worker,
    the one of the processes holding the port whose parent is among them."""
    pids = peer.listening_pids(port)
    for pid in pids:
        if _parent(pid) in pids:
            return pid
    if len(pids) == 1:  # the supervisor passed the socket on and closed its own: its child serves
        children = [pid for pid in cpu.descendants(pids[0]) if _parent(pid) == pids[0]]
        if len(children) == 1:
            return children[0]
        if not children:
            return pids[0]
    raise SystemExit(f"error: no single serving process among {pids} on port {port}")


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def py_spy() -> str | None:
    """The venv's py-spy (a dev dependency), else one on PATH."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


def record(pid: int, url: str, script: Path, args: argparse.Namespace, tmp: Path) -> dict[str, int]:
    """wrk's report; py-spy's collapsed stacks in tmp/stacks.txt (and perf's data in tmp/perf.data)."""
    command = [py_spy() or "py-spy", "record", "--pid", str(pid), "--rate", str(args.rate), "--format", "raw",
               "--output", str(tmp / "stacks.txt"), "--duration", str(args.duration + 2),
               "--nonblocking"]  # fmt: skip
    spies = [subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)]
    if args.perf:
        # Every thread of the worker (any native threads too) and the kernel's share, by thread and DSO.
        perf = ["perf", "record", "-F", "499", "-g", "-o", str(tmp / "perf.data"), "-p", str(pid),
                "--", "sleep", str(args.duration)]  # fmt: skip
        spies.append(subprocess.Popen(perf, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    try:
        time.sleep(1)  # attached before the load starts
        report = bench.wrk(url, script, threads=1, connections=args.connections, duration_s=args.duration)
    finally:
        errors = [spy.communicate(timeout=120)[1] for spy in spies]
    for tool, spy, err in zip(("py-spy", "perf"), spies, errors, strict=False):
        if spy.returncode != 0:
            raise SystemExit(f"error: {tool} failed: {err.decode(errors='replace')[-500:]}")
    return report


def perf_summary(data: Path) -> str:
    """perf's samples of the worker by thread name and by thread + shared object, without call graphs."""
    parts = []
    for keys in ("tid", "dso", "dso,sym"):
        report = subprocess.run(["perf", "report", "-i", str(data), "--stdio", "--no-children", "-g", "none",
                                 "--sort", keys, "--percent-limit", "0.7"],
                                capture_output=True, text=True, check=True).stdout  # fmt: skip
        parts.append("\n".join(line for line in report.splitlines() if line and not line.startswith("#")))
    return "\n\n".join(parts)


def summarize(raw: Path, top: int) -> str:
    inclusive: collections.Counter[str] = collections.Counter()
    leaf: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack_text, _, count_text = line.rpartition(" ")
        if not stack_text:
            continue
        count = int(count_text)
        frames = [_short(frame) for frame in stack_text.split(";")]
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        leaf[frames[-1]] += count
    lines = [f"{total} samples (idle left out)", "", f"{'inclusive':>9} {'self':>6}  function"]
    for frame, count in inclusive.most_common(top):
        lines.append(f"{100 * count / total:8.1f}% {100 * leaf[frame] / total:5.1f}%  {frame}")
    lines += ["", f"{'self':>9}  function (top by self)"]
    for frame, count in leaf.most_common(top):
        lines.append(f"{100 * count / total:8.1f}%  {frame}")
    return "\n".join(lines)


def _short(frame: str) -> str:
    """`func (path/to/module.py:12)` as `func (module.py)`: one row per function, not per line."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({'/'.join(Path(path).parts[-2:])})"


def run(args: argparse.Namespace) -> int:
    if shutil.which("wrk") is None or py_spy() is None:
        print("error: wrk and py-spy are needed (apt-get install wrk; make venv)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kbp-bench-profile-") as tmp_name:
        tmp = Path(tmp_name)
        options = bench.stack_options(tmp / "state", nginx_workers=1)
        up = stack.up(options, foreground=True, own_session=False, timeout_s=120)
        try:
            port = options.ports.api[0]
            url = f"http://127.0.0.1:{port}/api"
            with httpx.Client(timeout=10) as client:
                for _ in range(10):
                    client.post(url, json={"text": bench.ENTRY_TEXT}).raise_for_status()
            scripts = bench.write_scripts(tmp)
            script = scripts["get"] if args.load == "GET /api" else scripts[args.load]
            raw = tmp / "stacks.txt"
            report = record(worker_pid(port), url, script, args, tmp)
            rps = report["requests"] / (report["duration_us"] / 1e6)
            print(f"{args.load} straight at one API process: {rps:.0f} req/s, wrk -c{args.connections} "
                  f"-d{args.duration}s, py-spy --rate {args.rate}, non-2xx {report['non2xx']}")  # fmt: skip
            print(summarize(raw, args.top))
            if args.perf:
                print(
                    "\nperf (every thread of the worker, kernel included):\n"
                    + perf_summary(tmp / "perf.data")
                )
            if args.out is not None:
                shutil.copy(raw, args.out)
                print(f"\ncollapsed stacks: {args.out}")
                if args.perf:
                    shutil.copy(tmp / "perf.data", f"{args.out}.perf.data")
                    print(f"perf data: {args.out}.perf.data")
        finally:
            stack.down(options.paths)
            if up.process is not None:
                up.process.wait(timeout=30)
    return 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--load", choices=list(bench.LOADS), default="80/20 mix")
    parser.add_argument("--duration", type=int, default=20, help="seconds of load (default 20)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second (default 250)")
    parser.add_argument("--top", type=int, default=40, help="rows per table (default 40)")
    parser.add_argument("--out", type=Path, help="keep the collapsed stacks here")
    parser.add_argument("--perf", action="store_true", help="also `perf record` the worker's threads")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(run(parse_args()))
