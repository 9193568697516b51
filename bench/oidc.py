"""Benchmark onboarding through OIDC on the local control plane (bars, issue 21).

Starts a control plane and two Dex issuers in a temporary directory, then times, one fresh process
per run, interleaved by round:

- `user add --oidc`: namespace, quota, LimitRange, the RoleBinding of the prefixed identity, the wait
  until RBAC grants it, the exec kubeconfig (bar: under 2 s);
- `team add --group`: the same for an IdP group in a team namespace (bar: under 2 s);
- `user add (cert)`: certificate onboarding, the peer the two are compared with;
- `kbp --help`: the floor every kbp command pays, as the baseline.

Then the reload: `kbp auth oidc add` of the second issuer, and the time until the API server first
accepts one of its tokens, polled every 50 ms; then `remove` and the time until it refuses them
(bar: within the reload period, the API server's 1-minute poll; inotify usually makes it faster).

    .venv/bin/python bench/oidc.py [--rounds 5] [--reloads 3] [--strict]
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

REPO = Path(__file__).resolve().parents[1]
sys.path[0:1] = [str(REPO), str(REPO / "tests")]

from kbp import kube  # noqa: E402
from kbp.cluster import binaries, launcher  # noqa: E402
from kbp.cluster.layout import Layout  # noqa: E402
from support import dex as dexes  # noqa: E402

BAR_S = 2.0
RELOAD_PERIOD_S = 60.0  # the API server's poll of --authentication-config


def timed(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def accepted(server: str, ca: Path, token: str, path: Path) -> bool:
    with kube.connect(dexes.token_kubeconfig(server, ca, token, path)) as client:
        try:
            kube.whoami(client)
        except kube.KubeError as exc:
            if exc.status != 401:
                raise
            return False
    return True


def until(check: bool, server: str, ca: Path, dex: dexes.Dex, path: Path, began: float) -> float:
    """Seconds from `began` until a fresh token of `dex` is accepted (check=True) or refused."""
    while True:
        if accepted(server, ca, dex.password_token(dexes.ALICE).id_token, path) == check:
            return time.perf_counter() - began
        if time.perf_counter() - began > 3 * RELOAD_PERIOD_S:
            raise SystemExit("the API server did not reload within three poll periods")
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reloads", type=int, default=3)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kbp-bench-oidc-") as name:
        tmp = Path(name)
        layout = Layout.at(tmp / "cluster")
        bins = binaries.resolve()
        try:
            cluster = launcher.up(bins, layout)
            with dexes.running(bins, tmp / "dex") as dex, dexes.running(bins, tmp / "dex2") as other:
                env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig)}
                conf = ["--auth-config", str(layout.authentication_config)]
                kbp = [sys.executable, "-m", "kbp"]
                (tmp / "ca.pem").write_text(dex.ca_pem)
                (tmp / "ca2.pem").write_text(other.ca_pem)
                add = [*kbp, "auth", "oidc", "add", "dex", "--preset", "dex", "--issuer", dex.issuer]
                timed([*add, "--client-id", dexes.CLIENT_ID, "--ca-file", str(tmp / "ca.pem"), *conf], env)
                until(True, cluster.server, cluster.ca, dex, tmp / "probe.yaml", time.perf_counter())
                times = rounds(args.rounds, tmp, env, conf)
                reloads = reload_times(args.reloads, cluster.server, cluster.ca, other, tmp, env, conf)
        finally:
            launcher.down(layout)
    return report(times, reloads, args.rounds, strict=args.strict)


def rounds(count: int, tmp: Path, env: dict[str, str], conf: list[str]) -> dict[str, list[float]]:
    kbp = [sys.executable, "-m", "kbp"]
    times: dict[str, list[float]] = {
        "kbp --help": [],
        "user add (cert)": [],
        "user add --oidc": [],
        "team add": [],
    }
    timed([*kbp, "user", "list"], env)  # warm the page cache and the server's caches once
    for i in range(count):
        oidc = [*kbp, "user", "add", f"o-{i}", "--oidc", "dex", "--identity", f"o{i}@example.com"]
        team = [*kbp, "team", "add", f"t-{i}", "--group", f"g{i}", "--oidc", "dex"]
        cert = [*kbp, "user", "add", f"c-{i}"]
        times["kbp --help"].append(timed([*kbp, "--help"], env))
        times["user add (cert)"].append(timed([*cert, "--team", "b", "--out", str(tmp / f"c{i}")], env))
        times["user add --oidc"].append(
            timed([*oidc, "--team", "b", "--out", str(tmp / f"o{i}"), *conf], env)
        )
        times["team add"].append(timed([*team, "--out", str(tmp / f"t{i}"), *conf], env))
    return times


def reload_times(
    count: int, server: str, ca: Path, other: dexes.Dex, tmp: Path, env: dict[str, str], conf: list[str]
) -> dict[str, list[float]]:
    kbp = [sys.executable, "-m", "kbp", "auth", "oidc"]
    add = [*kbp, "add", "other", "--preset", "dex", "--issuer", other.issuer, "--client-id", dexes.CLIENT_ID]
    add += ["--ca-file", str(tmp / "ca2.pem"), *conf]
    out: dict[str, list[float]] = {"accepted after add": [], "refused after remove": []}
    for _ in range(count):
        began = time.perf_counter()
        subprocess.run(add, env=env, check=True, capture_output=True)
        out["accepted after add"].append(until(True, server, ca, other, tmp / "p.yaml", began))
        began = time.perf_counter()
        subprocess.run([*kbp, "remove", "other", *conf], env=env, check=True, capture_output=True)
        out["refused after remove"].append(until(False, server, ca, other, tmp / "p.yaml", began))
    return out


def report(
    times: dict[str, list[float]], reloads: dict[str, list[float]], count: int, *, strict: bool
) -> int:
    base = statistics.median(times["kbp --help"])
    peer = statistics.median(times["user add (cert)"])
    print(f"kbp OIDC onboarding, {count} rounds, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(f"{'case':<22} {'min s':>7} {'median s':>9} {'max s':>7} {'x --help':>9} {'x cert':>7}")
    for case, values in times.items():
        median = statistics.median(values)
        print(
            f"{case:<22} {min(values):>7.3f} {median:>9.3f} {max(values):>7.3f} "
            f"{median / base:>9.2f} {median / peer:>7.2f}"
        )
    for case, values in reloads.items():
        median = statistics.median(values)
        spread = f"{min(values):>7.3f} {median:>9.3f} {max(values):>7.3f}"
        print(f"{case:<22} {spread} {median / RELOAD_PERIOD_S:>9.3f} x the 60 s poll")
    held = [
        statistics.median(times["user add --oidc"]) < BAR_S,
        statistics.median(times["team add"]) < BAR_S,
        max(reloads["accepted after add"]) < RELOAD_PERIOD_S,
    ]
    names = [
        "user add --oidc < 2 s",
        "team add < 2 s",
        "new issuer accepted within the 60 s reload period (max)",
    ]
    for name, ok in zip(names, held, strict=True):
        print(f"bar: {name}: {'met' if ok else 'MISSED'}")
    return 1 if strict and not all(held) else 0


if __name__ == "__main__":
    sys.exit(main())
