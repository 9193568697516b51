"""Benchmark `kbp cluster up --real-node` against the kwok-only `kbp cluster up` in the same run.

Each round starts a fresh control plane twice, interleaved: kwok nodes only, then with a real
node (kubelet, containerd, kube-proxy, CoreDNS), timing `launcher.up` until every gate passed
(for the real node: the Node Ready, kube-proxy healthy, a name answered by the CoreDNS pod
through the kube-dns Service), then a first pod from a
local image Ready on it. Bar (issue 19): the real node Ready in under 30 s.

    .venv/bin/python -m bench.real_node [--repeat 3]        # from the repository root, as root
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kbp import kube
from kbp.cluster import binaries, launcher
from kbp.cluster.layout import Layout
from kbp.cluster.node import images
from kbp.cluster.node.images import import_image
from kbp.cluster.record import Cluster

BAR = 30.0
IMAGE = "kbp.local/bench-pause:v1"


def _first_pod(cluster: Cluster, tmp: Path) -> float:
    """Seconds from creating a pod (image already imported) to its Ready condition."""
    node = cluster.node
    assert node is not None
    archive = images.docker_archive(tmp / "img.tar", IMAGE, {"/pause": node.bin_dir / "pause"}, ["/pause"])
    import_image(node, archive)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "bench", "namespace": "default"},
        "spec": {"containers": [{"name": "p", "image": IMAGE, "imagePullPolicy": "Never"}]},
    }
    with kube.connect(cluster.kubeconfig) as client:
        began = time.perf_counter()
        kube.apply(client, pod)
        kube.wait_for(
            lambda: (
                kube.condition(kube.get(client, "v1", "Pod", "bench", "default"), "Ready") == "True" or None
            ),
            timeout=120,
            what="the bench pod Ready",
        )
        return time.perf_counter() - began


def one(bins: Path, real: bool) -> tuple[float, float | None]:
    with tempfile.TemporaryDirectory(prefix="kbp-bench-node-") as tmp:
        layout = Layout.at(Path(tmp) / "cluster")
        began = time.perf_counter()
        try:
            cluster = launcher.up(bins, layout, timeout=180, real_node=real)
            up = time.perf_counter() - began
            pod = _first_pod(cluster, Path(tmp)) if real else None
        finally:
            errors = launcher.down(layout)
        if errors:
            sys.exit(f"down failed: {errors}")
        return up, pod


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bins = binaries.resolve()
    kwok, real, pods = [], [], []
    for _ in range(args.repeat):  # interleaved, so both see the same machine
        kwok.append(one(bins, real=False)[0])
        up, pod = one(bins, real=True)
        real.append(up)
        pods.append(pod or 0.0)
    k, r, p = statistics.median(kwok), statistics.median(real), statistics.median(pods)
    print(f"kbp cluster up (kwok only):      median {k:6.2f} s  runs {', '.join(f'{t:.2f}' for t in kwok)}")
    print(f"kbp cluster up --real-node:      median {r:6.2f} s  runs {', '.join(f'{t:.2f}' for t in real)}")
    print(f"first pod Ready on the node:     median {p:6.2f} s  runs {', '.join(f'{t:.2f}' for t in pods)}")
    print(f"real node / kwok only: {r / k:.2f}x; the real node's own share {r - k:.2f} s")
    print(f"bar: real node up < {BAR:.0f} s: {'met' if r < BAR else 'NOT met'}")


if __name__ == "__main__":
    main()
