"""CPU seconds of the Go programs kbp starts, with kbp's GOGC (kbp.goenv) against Go's default.

Each round runs both sides, alternating, so load on the machine falls on both alike; the ratio is
the figure. Two workloads:

- helm: `helm template` of the journal chart with the dev values, as `kbp lint` and `kbp deploy`
  run it (`--repeat` times a side);
- plane: `kbp cluster up` of a fresh control plane until it is ready, then the CPU its processes
  used (`--planes` times a side, ~10 s each; 0 to skip), and the API server's peak RSS; on each
  plane, `kubectl get pods -A` with either side's environment, as the tests run kubectl.

- suite (`--suite PATH...`, `--rounds`): a pytest run of those tests (`-n 2 --dist loadgroup`) a
  side and round, and the CPU of everything it waited for (the planes it started and stopped, the
  kbp, helm and kubectl processes it ran; not what outlives it).

    .venv/bin/python -m bench.goenv [--repeat 20] [--planes 3] [--suite tests/integration/release]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from kbp import goenv
from kbp.cluster import binaries
from kbp.lint.helm import find_helm

DEFAULT = {"GOGC": "100"}  # what Go does without GOGC; kbp.goenv keeps a GOGC the caller set
_BASE = {k: v for k, v in os.environ.items() if k not in ("GOGC", "GOMEMLIMIT")}
SIDES = {"go default": {**_BASE, **DEFAULT}, f"kbp GOGC={goenv.GOGC}": goenv.go_env(_BASE)}
KUBECTL_RUNS = 5  # a side, on each plane
TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def cpu_of(argv: list[str], env: dict[str, str]) -> float:
    pid = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid
    _, _, usage = os.wait4(pid, 0)
    return usage.ru_utime + usage.ru_stime


def helm_cpu(env: dict[str, str]) -> float:
    return cpu_of(
        [find_helm(), "template", "j", "charts/journal", "-f", "charts/journal/values-dev.yaml"], env
    )


def _processes(state: Path) -> dict[str, tuple[float, int]]:
    """name -> (CPU s, peak RSS MB) of each live process whose argv names the state directory."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if not entry.name.isdigit() or str(state).encode() not in b" ".join(argv[1:]):
                continue
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            status = (entry / "status").read_text().splitlines()
            peak = next(line for line in status if line.startswith("VmHWM"))
        except (OSError, StopIteration):
            continue
        cpu = (int(fields[11]) + int(fields[12])) / TICKS_PER_S
        found[Path(argv[0].decode()).name] = (cpu, int(peak.split()[1]) // 1024)
    return found


def plane_cpu(env: dict[str, str], bin_dir: Path, kubectl: dict[str, list[float]]) -> tuple[float, int]:
    """CPU s of a control plane's processes once `kbp cluster up` returns, and the API server's peak
    MB; then `kubectl get pods -A` against it with each side's environment, into `kubectl`."""
    with tempfile.TemporaryDirectory(prefix="kbp-bench-goenv-") as scratch:
        state = Path(scratch) / "cluster"
        up = [sys.executable, "-m", "kbp", "cluster", "up", "--state-dir", str(state)]
        up += ["--bin-dir", str(bin_dir)]
        try:
            subprocess.run(up, env=env, capture_output=True, check=True)
            found = _processes(state)
            get = [
                str(bin_dir / "kubectl"),
                "--kubeconfig",
                str(state / "admin.kubeconfig"),
                "get",
                "pods",
                "-A",
            ]
            for _ in range(KUBECTL_RUNS):
                for side, side_env in SIDES.items():
                    kubectl.setdefault(side, []).append(cpu_of(get, side_env))
        finally:
            subprocess.run([*up[:4], "down", *up[5:7]], capture_output=True, check=False)
    return sum(cpu for cpu, _ in found.values()), found.get("kube-apiserver", (0.0, 0))[1]


def suite_cpu(env: dict[str, str], tests: list[str]) -> float:
    argv = [
        sys.executable,
        "-m",
        "pytest",
        *tests,
        "-n",
        "2",
        "--dist",
        "loadgroup",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    pid = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid
    _, status, usage = os.wait4(pid, 0)
    if status != 0:
        raise SystemExit(f"pytest {' '.join(tests)} failed (wait status {status})")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--planes", type=int, default=3)
    parser.add_argument("--suite", nargs="*", default=[])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    sides = SIDES
    print(f"{'workload':<34} {'go default':>10} {'kbp':>8} {'ratio':>6}")
    helm = dict.fromkeys(sides, 0.0)
    for _ in range(args.repeat):
        for side, env in sides.items():
            helm[side] += helm_cpu(env)
    old, new = (helm[s] / args.repeat for s in sides)
    print(f"{'helm template (CPU s)':<34} {old:>10.3f} {new:>8.3f} {new / old:>6.2f}")
    if args.planes:
        bin_dir = binaries.resolve()
        plane = {side: [0.0, 0] for side in sides}
        kubectl: dict[str, list[float]] = {}
        for _ in range(args.planes):
            for side, env in sides.items():
                cpu, peak = plane_cpu(env, bin_dir, kubectl)
                plane[side][0] += cpu
                plane[side][1] = max(int(plane[side][1]), peak)
        old, new = (plane[s][0] / args.planes for s in sides)
        print(f"{'control plane up (CPU s)':<34} {old:>10.2f} {new:>8.2f} {new / old:>6.2f}")
        old, new = (sum(kubectl[s]) / len(kubectl[s]) for s in sides)
        print(f"{'kubectl get pods -A (CPU s)':<34} {old:>10.3f} {new:>8.3f} {new / old:>6.2f}")
        old_mb, new_mb = (int(plane[s][1]) for s in sides)
        print(f"{'kube-apiserver peak RSS (MB)':<34} {old_mb:>10d} {new_mb:>8d} {new_mb / old_mb:>6.2f}")
    if args.suite:
        suite = dict.fromkeys(sides, 0.0)
        for _ in range(args.rounds):
            for side, env in sides.items():
                suite[side] += suite_cpu(env, args.suite)
        old, new = (suite[s] / args.rounds for s in sides)
        name = f"pytest {' '.join(args.suite)}"[:26] + " (CPU s)"
        print(f"{name:<34} {old:>10.1f} {new:>8.1f} {new / old:>6.2f}")


if __name__ == "__main__":
    main()
