"""Failover at the chart's settings: its scripts, its down-after, pods by name, three faults, one run.

Each pod of a Sentinel release gets a network namespace the bench makes (on a bridge in a hub
namespace of its own; the host's network is not touched): three Redis pods, each running the
chart's `launch.sh` and, beside it, its `sentinel.sh` with `downAfterMilliseconds` and
`failoverTimeoutMilliseconds` read from `charts/journal/values.yaml`; one API process in Sentinel
mode, as the chart configures it; a second API process, "the client", that stays able to reach the
primary in the third fault; and the bench itself. Every name is the chart's DNS name
(`journal-redis-0.journal-redis-headless.bench.svc`, ...), resolved through each namespace's
/etc/netns/<ns>/hosts. The API reads from the three pods by name (the headless Service's members).

Under six careful writers (Idempotency-Key retries) and a reader on the API, and two writers and a
reader on the client, the current primary gets, one after the other:

1. SIGKILL (then `launch.sh` starts it again: it asks the sentinels and rejoins as a replica);
2. SIGSTOP for 30 s, then SIGCONT;
3. cut off for 30 s from the sentinels, the other Redis pods and the API (iptables in its
   namespace), but not from the client.

For each: how long writes were unavailable (the longest time without a 201 after the fault), what
the API's and the client's writers were answered while it lasted, and acknowledged writes lost or
stored twice (on the primary once the fault is over). Bar (issue 24): 0 lost under all three.

    sudo .venv/bin/python bench/failover_chart.py [--fault-s 30] [--strict]   # root: namespaces

Reuses tests/support/writeload.py (the careful writers the integration tests use).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import redis
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path[0:1] = [str(REPO), str(REPO / "tests")]  # bench/journal.py would shadow `journal`

from support.writeload import WriteLoad, stored_texts  # noqa: E402

SCRIPTS = REPO / "charts" / "journal" / "files" / "redis"
DOMAIN = "journal-redis-headless.bench.svc"
REDIS_PODS = ("journal-redis-0", "journal-redis-replica-0", "journal-redis-replica-1")
PODS = (*REDIS_PODS, "api", "client", "bench")
SUBNET = "10.231.7"
REDIS_PORT = 6379
API_PORT = 8080
MASTER = "journal"
DEADLINE_S = 90.0


def address(pod: str) -> str:
    return f"{SUBNET}.{10 + PODS.index(pod)}"


def name(pod: str) -> str:
    return f"{pod}.{DOMAIN}" if pod in REDIS_PODS else pod


def chart_sentinel() -> dict[str, int]:
    values = yaml.safe_load((REPO / "charts" / "journal" / "values.yaml").read_text())
    sentinel = values["redis"]["sentinel"]
    return {
        "down_after_ms": int(sentinel["downAfterMilliseconds"]),
        "failover_timeout_ms": int(sentinel["failoverTimeoutMilliseconds"]),
        "port": int(sentinel["port"]),
    }


def sh(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


# --- outside: the namespaces ---------------------------------------------------------------------


@contextlib.contextmanager
def namespaces(prefix: str) -> Iterator[None]:
    """A hub namespace with a bridge, one namespace per pod on it, each with the pods' names."""
    hub = f"{prefix}-hub"
    hosts = "127.0.0.1 localhost\n" + "".join(f"{address(pod)} {name(pod)}\n" for pod in PODS)
    made: list[str] = []
    try:
        sh("ip", "netns", "add", hub)
        made.append(hub)
        sh("ip", "-n", hub, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", hub, "link", "set", "br0", "up")
        for number, pod in enumerate(PODS):
            ns = f"{prefix}-{number}"
            sh("ip", "netns", "add", ns)
            made.append(ns)
            etc = Path("/etc/netns") / ns
            etc.mkdir(parents=True, exist_ok=True)
            (etc / "hosts").write_text(hosts)
            sh(
                "ip",
                "-n",
                hub,
                "link",
                "add",
                f"v{number}",
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                ns,
            )
            sh("ip", "-n", hub, "link", "set", f"v{number}", "master", "br0", "up")
            sh("ip", "-n", ns, "addr", "add", f"{address(pod)}/24", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        yield
    finally:
        for ns in reversed(made):
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True)
            shutil.rmtree(Path("/etc/netns") / ns, ignore_errors=True)


# --- inside the bench's namespace: the release and the faults -------------------------------------


@dataclass
class Release:
    prefix: str
    directory: Path
    password: str
    sentinel: dict[str, int]
    processes: dict[str, subprocess.Popen[bytes]]

    def ns(self, pod: str) -> str:
        return f"{self.prefix}-{PODS.index(pod)}"

    def start(self, key: str, pod: str, command: list[str], env: dict[str, str]) -> None:
        log = (self.directory / f"{key}.log").open("ab")
        self.processes[key] = subprocess.Popen(
            ["ip", "netns", "exec", self.ns(pod), *command],
            env={"PATH": os.environ["PATH"], **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def sentinel_addresses(self) -> str:
        return ",".join(f"{name(pod)}:{self.sentinel['port']}" for pod in REDIS_PODS)

    def start_redis(self, pod: str) -> None:
        run = self.directory / pod
        for sub in ("data", "run"):
            (run / sub).mkdir(parents=True, exist_ok=True)
        env = {
            "REDIS_PASSWORD_FILE": str(self.directory / "passwd"),
            "REDIS_PRIMARY_HOST": name(REDIS_PODS[0]),
            "REDIS_CONF": str(SCRIPTS / "redis.conf"),
            "REDIS_DATA_DIR": str(run / "data"),
            "REDIS_RUN_DIR": str(run / "run"),
            "REDIS_ROLE": "primary" if pod == REDIS_PODS[0] else "replica",
            "REDIS_PORT": str(REDIS_PORT),
            "REDIS_ANNOUNCE_HOST": name(pod),
            "SENTINEL_ADDRESSES": self.sentinel_addresses(),
            "REDIS_PEERS": ",".join(f"{name(p)}:{REDIS_PORT}" for p in REDIS_PODS),
        }
        self.start(pod, pod, ["sh", str(SCRIPTS / "launch.sh")], env)

    def start_sentinel(self, pod: str) -> None:
        env = {
            "REDIS_PASSWORD_FILE": str(self.directory / "passwd"),
            "REDIS_PRIMARY_HOST": name(REDIS_PODS[0]),
            "REDIS_PRIMARY_PORT": str(REDIS_PORT),
            "SENTINEL_DIR": str(self.directory / pod / "sentinel"),
            "SENTINEL_DOWN_AFTER_MS": str(self.sentinel["down_after_ms"]),
            "SENTINEL_FAILOVER_TIMEOUT_MS": str(self.sentinel["failover_timeout_ms"]),
            "SENTINEL_PORT": str(self.sentinel["port"]),
            "SENTINEL_ANNOUNCE_HOST": name(pod),
            "SENTINEL_ADDRESSES": self.sentinel_addresses(),
        }
        self.start(f"{pod}-sentinel", pod, ["sh", str(SCRIPTS / "sentinel.sh")], env)

    def start_api(self, pod: str) -> None:
        reads = ",".join(f"redis://{name(p)}:{REDIS_PORT}/0" for p in REDIS_PODS)
        env = {
            "JOURNAL_HOST": "0.0.0.0",
            "JOURNAL_PORT": str(API_PORT),
            "JOURNAL_CONFIG_DIR": str(self.directory),
            "JOURNAL_REDIS_WRITE_URL": f"redis://{name(REDIS_PODS[0])}:{REDIS_PORT}/0",
            "JOURNAL_REDIS_READ_URL": reads,
            "JOURNAL_REDIS_PASSWORD_FILE": str(self.directory / "passwd"),
            "JOURNAL_SENTINEL_ADDRESSES": self.sentinel_addresses(),
            "JOURNAL_LOG_LEVEL": os.environ.get("BENCH_JOURNAL_LOG_LEVEL", "warning"),
        }
        self.start(pod, pod, [sys.executable, "-m", "journal"], env)

    def node(self, pod: str) -> redis.Redis:
        return redis.Redis(host=name(pod), port=REDIS_PORT, password=self.password, socket_timeout=1.0)

    def named_primary(self) -> str | None:
        """The Redis pod at least two sentinels name, None while they do not agree."""
        answers: Counter[str] = Counter()
        for pod in REDIS_PODS:
            client = redis.Redis(
                host=name(pod), port=self.sentinel["port"], socket_timeout=1.0, decode_responses=True
            )
            with contextlib.suppress(redis.RedisError):
                reply = client.sentinel_get_master_addr_by_name(MASTER, return_responses=True)
                if isinstance(reply, tuple):
                    answers[str(reply[0])] += 1
            client.close()
        agreed = [host for host, count in answers.items() if count >= 2]
        return next((pod for pod in REDIS_PODS if agreed and name(pod) == agreed[0]), None)

    def role(self, pod: str) -> tuple[str, int]:
        """The node's role and its count of connected replicas (("down", 0) when it does not answer)."""
        try:
            info = self.node(pod).info("replication")
        except redis.RedisError:
            return ("down", 0)
        return (str(info["role"]), int(info.get("connected_slaves", 0)))

    def settled(self) -> bool:
        primary = self.named_primary()
        return primary is not None and self.role(primary) == ("master", 2)

    def stop(self) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGCONT)
                os.killpg(process.pid, signal.SIGKILL)
        for process in self.processes.values():
            process.wait()


async def until(condition: Callable[[], bool], what: str, deadline_s: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + deadline_s
    while not await asyncio.to_thread(condition):
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@dataclass(frozen=True)
class FaultResult:
    fault: str
    unavailable_s: float
    client_unavailable_s: float
    api_refusals: Counter[int]
    client_refusals: Counter[int]
    client_acks_during: int
    lost: int
    doubled: int
    failed_reads: Counter[int]


def iptables(release: Release, pod: str, action: str) -> None:
    """Drop everything between `pod` and the other pods except the client (in `pod`'s namespace)."""
    for other in PODS:
        if other in (pod, "client"):
            continue
        for chain, flag in (("INPUT", "-s"), ("OUTPUT", "-d")):
            sh(
                "ip",
                "netns",
                "exec",
                release.ns(pod),
                "iptables",
                action,
                chain,
                flag,
                address(other),
                "-j",
                "DROP",
            )


async def fault(
    release: Release, kind: str, fault_s: float, api: WriteLoad, client: WriteLoad
) -> FaultResult:
    primary = release.named_primary()
    assert primary is not None
    process = release.processes[primary]
    before = (Counter(api.record.refusals), Counter(client.record.refusals))
    reads_before = Counter({s: n for s, n in api.record.read_statuses.items() if s != 200})
    at = time.monotonic()
    if kind == "SIGKILL":
        process.kill()
        process.wait()
        await until(lambda: release.named_primary() not in (None, primary), "a promotion")
        release.start_redis(primary)  # as the StatefulSet would: it rejoins as a replica
    elif kind == "SIGSTOP":
        process.send_signal(signal.SIGSTOP)
        await asyncio.sleep(fault_s)
        process.send_signal(signal.SIGCONT)
    else:
        await asyncio.to_thread(iptables, release, primary, "-A")
        await asyncio.sleep(fault_s)
        await asyncio.to_thread(iptables, release, primary, "-D")
    ended = time.monotonic()
    client_during = client.record.acks_after(at) - client.record.acks_after(ended) if kind != "SIGKILL" else 0
    await until(release.settled, "the old primary to rejoin as a replica")
    await until(lambda: api.record.acks_after(time.monotonic() - 2) >= 10, "writes to resume")
    await until(lambda: client.record.acks_after(time.monotonic() - 2) >= 3, "the client's writes to resume")
    now_primary = release.named_primary()
    assert now_primary is not None
    # What was acknowledged before the read: the writers go on, and a write acknowledged while
    # HGETALL runs may or may not be in its answer.
    acknowledged = {**api.record.acknowledged, **client.record.acknowledged}
    stored = stored_texts(await asyncio.to_thread(release.node(now_primary).hgetall, "journal:entries"))
    for text, acked_at in acknowledged.items():
        if stored[text] == 0:
            print(f"         lost: {text!r}, acknowledged {acked_at - at:+.2f} s after the fault began")
    return FaultResult(
        fault=kind,
        unavailable_s=api.record.unavailable_s(at) or float("inf"),
        client_unavailable_s=client.record.unavailable_s(at) or float("inf"),
        api_refusals=api.record.refusals - before[0],
        client_refusals=client.record.refusals - before[1],
        client_acks_during=client_during,
        lost=sum(stored[text] == 0 for text in acknowledged),
        doubled=sum(count > 1 for count in stored.values()),
        failed_reads=Counter({s: n for s, n in api.record.read_statuses.items() if s != 200}) - reads_before,
    )


def refusals(counts: Counter[int]) -> str:
    return ", ".join(f"{n}x {status or 'no answer'}" for status, n in sorted(counts.items())) or "none"


async def drive(release: Release, fault_s: float) -> list[FaultResult]:
    async with (
        WriteLoad(f"http://api:{API_PORT}", marker="api") as api,
        WriteLoad(f"http://client:{API_PORT}", writers=2, marker="client") as client,
    ):
        await until(lambda: len(api.record.acknowledged) >= 50, "writes before the first fault")
        results = []
        for kind in ("SIGKILL", "SIGSTOP", "cut off"):
            results.append(await fault(release, kind, fault_s, api, client))
            print_result(results[-1])
    return results


def print_result(r: FaultResult) -> None:
    print(
        f"{r.fault:<8} writes unavailable {r.unavailable_s:5.1f} s (client {r.client_unavailable_s:5.1f} s);"
        f" lost {r.lost}, stored twice {r.doubled}; failed reads: {refusals(r.failed_reads)}\n"
        f"         API writers were answered: {refusals(r.api_refusals)}\n"
        f"         client writers were answered: {refusals(r.client_refusals)};"
        f" acknowledged while it lasted: {r.client_acks_during}",
        flush=True,
    )


def inside(prefix: str, fault_s: float) -> int:
    sentinel = chart_sentinel()
    with tempfile.TemporaryDirectory(prefix="kbp-failover-chart-") as tmp:
        directory = Path(tmp)
        os.chmod(directory, 0o755)
        password = os.urandom(12).hex()
        (directory / "passwd").write_text(password + "\n")
        os.chmod(directory / "passwd", 0o600)
        release = Release(prefix, directory, password, sentinel, {})
        try:
            for pod in REDIS_PODS:
                release.start_redis(pod)
                release.start_sentinel(pod)
            asyncio.run(until(release.settled, "the release to settle"))
            for pod in ("api", "client"):
                release.start_api(pod)
            print(
                f"release up: 3 Redis pods ({', '.join(REDIS_PODS)}) with the chart's launch.sh and"
                f" sentinel.sh, down-after {sentinel['down_after_ms']} ms, failover-timeout"
                f" {sentinel['failover_timeout_ms']} ms; API and client in Sentinel mode; faults of"
                f" {fault_s:.0f} s",
                flush=True,
            )
            results = asyncio.run(drive(release, fault_s))
        except Exception:
            roles = {pod: release.role(pod) for pod in REDIS_PODS}
            print(f"named primary: {release.named_primary()}, roles: {roles}", file=sys.stderr)
            for log in sorted(directory.glob("*.log")):
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-1500:]}", file=sys.stderr)
            raise
        finally:
            release.stop()
            kept = Path(tempfile.mkdtemp(prefix="kbp-failover-chart-logs-"))
            for log in directory.glob("*.log"):
                shutil.copy(log, kept)
            print(f"every process's log: {kept}", file=sys.stderr)
    lost = sum(r.lost + r.doubled for r in results)
    print(f"acknowledged writes lost or stored twice over the three faults: {lost} (bar 0)")
    return 0 if lost == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--fault-s", type=float, default=30.0, help="how long SIGSTOP and the cut last")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a bar is missed")
    parser.add_argument("--inside", help=argparse.SUPPRESS)  # the namespaces' prefix
    args = parser.parse_args()
    if args.inside:
        return inside(args.inside, args.fault_s)
    if os.geteuid() != 0 or shutil.which("iptables") is None:
        print("error: needs root and iptables (network namespaces)", file=sys.stderr)
        return 2
    prefix = f"kbpfo{os.getpid()}"
    with namespaces(prefix):
        bench_ns = f"{prefix}-{PODS.index('bench')}"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--inside",
            prefix,
            "--fault-s",
            str(args.fault_s),
        ]
        status = subprocess.run(["ip", "netns", "exec", bench_ns, *command], check=False).returncode
    return status if args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
