"""CPU seconds to start the kbp CLI: one command group imported (kbp.cli.main) against all of them.

Every test and script that runs `kbp <group> <verb>` pays this start-up. The runs alternate, so
load on the machine falls on both sides alike; the ratio is the figure.

    .venv/bin/python -m bench.cli [--repeat 15]  # repo root
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys

# Commands that fail fast after parsing (no such kubeconfig): start-up is nearly all they cost.
COMMANDS = (
    ("ns", "list", "--kubeconfig", "/nonexistent"),
    ("user", "add", "x", "--team", "t", "--kubeconfig", "/nonexistent"),
    ("dev", "status", "--kubeconfig", "/nonexistent"),
)
EVERY_GROUP = "import sys; from kbp.cli.app import app; sys.argv[0] = 'kbp'; app()"


def cpu_of(argv: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, capture_output=True, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    repeat = parser.parse_args().repeat
    header = f"{'command':<24} {'one group':>10} {'all groups':>11} {'ratio':>6}"
    print(f"{header}  (CPU s a start, mean of {repeat})")
    for command in COMMANDS:
        one = every = 0.0
        for _ in range(repeat):
            one += cpu_of([sys.executable, "-m", "kbp", *command])
            every += cpu_of([sys.executable, "-c", EVERY_GROUP, *command])
        name = " ".join(command[:2])
        print(f"{name:<24} {one / repeat:>10.3f} {every / repeat:>11.3f} {one / every:>6.2f}")


if __name__ == "__main__":
    main()
