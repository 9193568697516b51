"""Benchmark `kbp user add` end to end on the local control plane (bar, issue 10: under 2 s).

Starts a control plane in a temporary directory, then runs the real CLI as a developer's admin would,
one fresh process per run, and times the wall clock of each:

- `add (new user)`: key, CSR, approval, signature, namespace, quota, LimitRange, RoleBinding, the
  wait until RBAC grants access, kubeconfig;
- `add (again)`: the idempotent re-run that finds everything in place and changes nothing;
- `kbp --help`: the floor every kbp command pays (interpreter start, Typer), as the baseline;
- `imports only`: the interpreter loading what `user add` needs (lightkube, cryptography, Typer), no call,
  so the difference to `add (again)` is the API calls and the first-call set-up (TLS, resource models).

Prints min / median / max per case, the ratio of each median to the baseline, and whether the bar holds
(median of the new-user runs). Rounds interleave the cases, so a burst of load elsewhere hits them all.

    .venv/bin/python bench/users.py [--rounds 10] [--strict]

With --strict the exit status is 1 when the bar is missed. Most of a run is the interpreter importing
lightkube, httpx2 and cryptography: with PYTHONDONTWRITEBYTECODE set and no `__pycache__` in the venv,
every run compiles them again (`python -m compileall .venv/lib` once, or `uv sync --compile-bytecode`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kbp.cluster import binaries, launcher
from kbp.cluster.layout import Layout

BAR_S = 2.0


def timed(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kbp-bench-users-") as tmp:
        layout = Layout.at(Path(tmp) / "cluster")
        try:
            cluster = launcher.up(binaries.resolve(), layout)
            env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig)}
            times = rounds(args.rounds, Path(tmp), env)
        finally:
            launcher.down(layout)
    return report(times, args.rounds, strict=args.strict)


def rounds(count: int, directory: Path, env: dict[str, str]) -> dict[str, list[float]]:
    kbp = [sys.executable, "-m", "kbp"]
    times: dict[str, list[float]] = {
        "kbp --help": [],
        "imports only": [],
        "add (new user)": [],
        "add (again)": [],
    }
    imports = [sys.executable, "-c", "import kbp.cli.app, kbp.users.flow"]
    timed([*kbp, "user", "list"], env)  # warm the page cache and the server's caches once
    for i in range(count):
        add = [
            *kbp,
            "user",
            "add",
            f"bench-{i}",
            "--team",
            "bench",
            "--out",
            str(directory / f"bench-{i}.kubeconfig"),
        ]
        times["kbp --help"].append(timed([*kbp, "--help"], env))
        times["imports only"].append(timed(imports, env))
        times["add (new user)"].append(timed(add, env))
        times["add (again)"].append(timed(add, env))
    return times


def report(times: dict[str, list[float]], count: int, *, strict: bool) -> int:
    base = statistics.median(times["kbp --help"])
    load = os.getloadavg()[0]
    import lightkube  # noqa: PLC0415 -- only to see whether its bytecode is cached

    cached = any(Path(lightkube.__file__).parent.glob("__pycache__/*.pyc"))
    print(f"kbp user add, {count} rounds, {os.cpu_count()} CPUs, load {load:.1f}, bytecode cached: {cached}")
    print(f"{'case':<16} {'min s':>7} {'median s':>9} {'max s':>7} {'x --help':>9}")
    for case, values in times.items():
        median = statistics.median(values)
        print(f"{case:<16} {min(values):>7.3f} {median:>9.3f} {max(values):>7.3f} {median / base:>9.2f}")
    new = statistics.median(times["add (new user)"])
    held = new < BAR_S
    verdict = f"< {BAR_S} s: met" if held else f">= {BAR_S} s: MISSED"
    print(f"bar: add (new user) median {new:.3f} s {verdict}")
    return 1 if strict and not held else 0


if __name__ == "__main__":
    sys.exit(main())
