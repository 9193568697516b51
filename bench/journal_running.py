"""Benchmark the journal chart on the real node with the images built here (issue 19's bars).

Each round, in fresh namespaces of one real-node cluster:

1. `helm install --wait` with the dev values until every pod is Ready, against the bar (60 s);
   then the same with `redis.sentinel.enabled=true`, whose pods are Ready only once every sentinel
   could fail over, as the peer: what that gate costs.
2. A rolling upgrade (`kbp config set entries=N`) of the dev release under two careful writers and
   a reader through the Service: failed requests (any answer but 201/200, or none) and lost writes.
   Bar: 0.
3. Sentinel failover at the chart's defaults on the Sentinel release: the primary's container
   SIGKILLed under the same load, and again whenever kubelet restarts it, until down-after has
   passed; writes unavailable (the longest gap without an acknowledged write from the first kill
   on), as a ratio of down-after (5 s, the floor a Sentinel failover cannot beat), and
   acknowledged writes lost. Bars: at most 10 s, 0 lost.

The image build's cold and warm times are bench/images.py's.

    .venv/bin/python -m bench.journal_running [--rounds 3]   # from the repository root, as root
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[0:1] = [str(REPO), str(REPO / "tests")]

from kbp.cluster.record import RealNode  # noqa: E402
from support import localimages, onnode  # noqa: E402
from support.controlplane import ControlPlane, running  # noqa: E402
from support.realnode import namespace  # noqa: E402

INSTALL_BAR_S = 60.0
DOWN_AFTER_S = 5.0  # redis.sentinel.downAfterMilliseconds, the chart's default
UNAVAILABLE_BAR_S = 10.0


@dataclass
class Round:
    install_s: float
    sentinel_install_s: float
    upgrade_failed: int
    upgrade_requests: int
    upgrade_lost: int
    unavailable_s: float
    failover_acknowledged: int
    failover_lost: int


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory(prefix="kbp-bench-running-") as scratch_dir:
        scratch = Path(scratch_dir)
        state, tools = scratch / "cluster", scratch / "tools"
        state.mkdir()
        tools.mkdir()
        with running(state, tools, real_node=True) as plane:
            began = time.monotonic()
            refs = localimages.load(plane, "api", "fileserver", "redis")
            print(f"kbp image build --load (cached): {time.monotonic() - began:.1f} s", flush=True)
            local = localimages.journal_values_file(refs, scratch)
            results = [one_round(plane, local, scratch / f"round-{n}", n) for n in range(rounds)]
    report(results)


def one_round(plane: ControlPlane, local: Path, scratch: Path, number: int) -> Round:
    node = plane.cluster.node
    assert node is not None
    scratch.mkdir()
    with plane.client() as client:
        with namespace(client) as ns:
            install_s = onnode.install(plane, ns, local)
            url = f"http://{onnode.cluster_ip(client, ns, 'journal-api')}"
            failed, requests, upgrade_lost = upgrade(plane, node, ns, url, scratch / "upgrade", number)
        with namespace(client) as ns:
            sentinel_install_s = onnode.install(plane, ns, local, "redis.sentinel.enabled=true")
            url = f"http://{onnode.cluster_ip(client, ns, 'journal-api')}"
            gap, acknowledged, lost = failover(plane, node, ns, url, scratch / "failover")
    result = Round(install_s, sentinel_install_s, failed, requests, upgrade_lost, gap, acknowledged, lost)
    print(f"round {number + 1}: {result}", flush=True)
    return result


def upgrade(
    plane: ControlPlane, node: RealNode, ns: str, url: str, scratch: Path, number: int
) -> tuple[int, int, int]:
    scratch.mkdir()
    with onnode.steady_load(node, url, scratch) as load:
        time.sleep(2)
        subprocess.run(
            [sys.executable, "-m", "kbp", "config", "set", f"entries={20 + number}", "-n", ns],
            env=plane.env(),
            capture_output=True,
            check=True,
            timeout=300,
        )
    result = load.result
    assert result is not None
    failed = sum(result["refusals"].values())
    failed += sum(count for status, count in result["read_statuses"].items() if status != "200")
    if result["refusal_details"]:
        print(f"  upgrade refusals: {result['refusal_details'][:3]}", flush=True)
    requests = len(result["acknowledged"]) + failed + result["read_statuses"].get("200", 0)
    lost = set(result["acknowledged"]) - set(onnode.texts(plane, ns, "journal-redis-0"))
    return failed, requests, len(lost)


def failover(plane: ControlPlane, node: RealNode, ns: str, url: str, scratch: Path) -> tuple[float, int, int]:
    scratch.mkdir()
    with onnode.steady_load(node, url, scratch) as load:
        time.sleep(3)
        killed = onnode.keep_killed(node, "journal-redis-0", ns, "redis", seconds=DOWN_AFTER_S + 2)
        onnode.wait_for(
            lambda: onnode.primary(plane, ns) not in (None, "journal-redis-0"), "promotion", timeout_s=60
        )
        onnode.wait_for(lambda: onnode.role(plane, ns, "journal-redis-0") == "slave", "rejoin")
        time.sleep(3)
    result = load.result
    assert result is not None
    gap = onnode.unavailable_s(result["acknowledged"], killed)
    new = onnode.primary(plane, ns)
    assert new is not None
    lost = set(result["acknowledged"]) - set(onnode.texts(plane, ns, new))
    return gap, len(result["acknowledged"]), len(lost)


def report(results: list[Round]) -> None:
    def median(values: list[float]) -> float:
        return statistics.median(values)

    def runs(values: list[float]) -> str:
        return ", ".join(f"{v:.1f}" for v in values)

    installs = [r.install_s for r in results]
    sentinel = [r.sentinel_install_s for r in results]
    gaps = [r.unavailable_s for r in results]
    print(f"\n{len(results)} rounds, medians:")
    print(
        f"helm install --wait, dev values, to all Ready: {median(installs):.1f} s ({runs(installs)});"
        f" / bar {INSTALL_BAR_S:.0f} s: {median(installs) / INSTALL_BAR_S:.2f}"
    )
    print(
        f"  with Sentinel (Ready once it could fail over): {median(sentinel):.1f} s ({runs(sentinel)});"
        f" / dev install: {median(sentinel) / median(installs):.2f}"
    )
    print(
        f"failover, writes unavailable: {median(gaps):.1f} s ({runs(gaps)}); / bar"
        f" {UNAVAILABLE_BAR_S:.0f} s: {median(gaps) / UNAVAILABLE_BAR_S:.2f};"
        f" / down-after {DOWN_AFTER_S:.0f} s: {median(gaps) / DOWN_AFTER_S:.2f}"
    )
    print(
        f"  acknowledged writes lost: {sum(r.failover_lost for r in results)} of"
        f" {sum(r.failover_acknowledged for r in results)} (bar 0)"
    )
    print(
        f"rolling upgrade: {sum(r.upgrade_failed for r in results)} failed of"
        f" {sum(r.upgrade_requests for r in results)} requests (bar 0),"
        f" {sum(r.upgrade_lost for r in results)} acknowledged writes lost"
    )


if __name__ == "__main__":
    main()
