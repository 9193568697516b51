"""Benchmark the journal chart on the real node with the images built here (issue 19's bars).

1. `helm install --wait` with the dev values to every pod Ready, against the bar (60 s) and against
   a peer measured in the same run: the same install again into a second namespace, images and
   volumes warm.
2. Sentinel failover at the chart's defaults: the primary's container SIGKILLed under two steady
   writers, and again whenever kubelet restarts it, until down-after has passed; writes
   unavailable (the longest gap without an acknowledged write), as a ratio of
   down-after (5 s, the floor a Sentinel failover cannot beat), and acknowledged writes lost.
   Bars: at most 10 s, 0 lost.
3. A rolling upgrade (`kbp config set entries=20`) under steady reads and writes: failed requests
   and lost writes. Bar: 0.

The image build's cold and warm times are bench/images.py's.

    .venv/bin/python -m bench.journal_running        # from the repository root, as root
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[0:1] = [str(REPO), str(REPO / "tests")]

from kbp.cluster.record import RealNode  # noqa: E402
from support import localimages, onnode  # noqa: E402
from support.controlplane import ControlPlane, running  # noqa: E402
from support.realnode import namespace  # noqa: E402

INSTALL_BAR_S = 60.0
DOWN_AFTER_S = 5.0
UNAVAILABLE_BAR_S = 10.0


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kbp-bench-running-") as scratch_dir:
        scratch = Path(scratch_dir)
        state, tools = scratch / "cluster", scratch / "tools"
        state.mkdir()
        tools.mkdir()
        with running(state, tools, real_node=True) as plane:
            node = plane.cluster.node
            assert node is not None
            began = time.monotonic()
            refs = localimages.load(plane, "api", "fileserver", "redis")
            print(f"kbp image build --load (warm cache): {time.monotonic() - began:.1f} s")
            local = localimages.journal_values_file(refs, scratch)
            with plane.client() as client:
                with namespace(client) as first:
                    cold = onnode.install(plane, first, local)
                    with namespace(client) as second:
                        warm = onnode.install(plane, second, local)
                print(
                    f"helm install --wait, dev values: {cold:.1f} s "
                    f"(bar {INSTALL_BAR_S:.0f} s: {cold / INSTALL_BAR_S:.2f})"
                )
                print(f"  the same install again, warm: {warm:.1f} s; first / again: {cold / warm:.2f}")
                with namespace(client) as ns:
                    onnode.install(plane, ns, local, "redis.sentinel.enabled=true")
                    url = f"http://{onnode.cluster_ip(client, ns, 'journal-api')}"
                    failover(plane, node, ns, url, scratch / "failover")
                    upgrade(plane, ns, url, scratch / "upgrade")


def failover(plane: ControlPlane, node: RealNode, ns: str, url: str, scratch: Path) -> None:
    scratch.mkdir()
    with onnode.steady_load(node, url, scratch) as load:
        time.sleep(3)
        killed = onnode.keep_killed(node, "journal-redis-0", ns, "redis", seconds=DOWN_AFTER_S + 2)
        onnode.wait_for(lambda: onnode.primary(plane, ns) not in (None, "journal-redis-0"), "promotion", 60)
        onnode.wait_for(lambda: onnode.role(plane, ns, "journal-redis-0") == "slave", "rejoin")
        time.sleep(3)
    result = load.result
    assert result is not None
    gap = onnode.unavailable_s(result["acknowledged"], killed)
    new = onnode.primary(plane, ns)
    assert new is not None
    lost = set(result["acknowledged"]) - set(onnode.texts(plane, ns, new))
    print(
        f"failover: writes unavailable {gap:.1f} s (bar {UNAVAILABLE_BAR_S:.0f} s; / down-after "
        f"{gap / DOWN_AFTER_S:.2f}), acknowledged {len(result['acknowledged'])}, lost {len(lost)}"
    )


def upgrade(plane: ControlPlane, ns: str, url: str, scratch: Path) -> None:
    scratch.mkdir()
    node = plane.cluster.node
    assert node is not None
    with onnode.steady_load(node, url, scratch) as load:
        time.sleep(2)
        subprocess.run(
            [sys.executable, "-m", "kbp", "config", "set", "entries=20", "-n", ns],
            env=plane.env(),
            capture_output=True,
            check=True,
            timeout=300,
        )
    result = load.result
    assert result is not None
    failed = sum(result["refusals"].values()) + sum(
        n for s, n in result["read_statuses"].items() if s != "200"
    )
    new = onnode.primary(plane, ns)
    assert new is not None
    lost = set(result["acknowledged"]) - set(onnode.texts(plane, ns, new))
    reads = sum(result["read_statuses"].values())
    print(
        f"rolling upgrade: {failed} failed of {len(result['acknowledged'])} writes + {reads} reads "
        f"(bar 0), lost {len(lost)}; first refusals: {result['refusal_details'][:3]}"
    )


if __name__ == "__main__":
    main()
