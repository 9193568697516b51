"""Benchmark one reap pass over 200 and 2,000 kbp namespaces on the local control plane.

Bar (issue 11): a pass over 2,000 namespaces in under 5 s with paginated lists; peak memory reported
beside a pass over 200. Each pass is a dry run (nothing is deleted, so passes repeat on the same set);
a twentieth of the namespaces are expired, so the pass also decides, logs and applies the cap.

Reported per size and page size (100, 500 - the default - and everything in one page): wall time of
an in-process pass (median of --repeat), the Python heap's peak during the pass (tracemalloc), and the
peak RSS of a whole `kbp reap -o json` process (GNU time). With pages smaller than both sizes the heap
peak should barely move from 200 to 2,000; with one page it grows with the cluster.

    .venv/bin/python -m bench.reap [--repeat 5] [--kubeconfig PATH]   # repo root
Without --kubeconfig it starts its own control plane in a temporary directory and stops it after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kbp import kube
from kbp.cluster import binaries, launcher
from kbp.cluster.layout import Layout
from kbp.namespaces import catalog
from kbp.namespaces.manifests import NamespaceSpec, namespace_manifest
from kbp.namespaces.metrics import ReaperMetrics
from kbp.namespaces.policy import Policy
from kbp.namespaces.reaper import Options, reap

PREFIX = "bench-reap-"
SIZES = (200, 2000)
PAGES = (100, 500, 100_000)  # 100_000: everything in one page
BAR_S = 5.0
ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def control_plane(kubeconfig: Path | None) -> Iterator[Path]:
    if kubeconfig is not None:
        yield kubeconfig
        return
    with tempfile.TemporaryDirectory(prefix="kbp-bench-reap-") as tmp:
        layout = Layout.at(Path(tmp))
        try:
            yield launcher.up(binaries.resolve(), layout, nodes=1).kubeconfig
        finally:
            launcher.down(layout)


def populate(kubeconfig: Path, start: int, stop: int) -> None:
    """Namespaces start..stop-1: every twentieth created with a TTL already passed (an expiry in 2025)."""

    def create(index: int) -> None:
        expired = index % 20 == 0
        spec = NamespaceSpec(
            name=f"{PREFIX}{index:05d}",
            owner="bench",
            team="bench",
            purpose="reap benchmark",
            ttl=None if expired else "30d",
            expires="2025-01-01" if expired else None,
        )
        with kube.connect(kubeconfig) as client:
            kube.create(client, namespace_manifest(spec, version=catalog.pod_security_version(client)))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(create, range(start, stop)))


def one_pass(kubeconfig: Path, page_size: int) -> tuple[float, int, int]:
    """Seconds, Python heap peak (bytes) and namespaces seen, for one dry-run pass."""
    policy = Policy(own_namespace="kbp-system", warn_before=timedelta(0))
    with kube.connect(kubeconfig) as client, open(os.devnull, "w") as devnull:
        kube.list_objects(client, "v1", "Namespace")  # warm the connection, not the measured pass
        tracemalloc.start()
        began = time.perf_counter()
        report = reap(
            client,
            policy=policy,
            options=Options(page_size=page_size),
            now=lambda: datetime.now(UTC),
            metrics=ReaperMetrics(),
            log=devnull,
        )
        elapsed = time.perf_counter() - began
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return elapsed, peak, report.seen


def process_rss_kib(kubeconfig: Path, page_size: int) -> int:
    """Peak RSS of a whole `kbp reap` process (interpreter and imports included)."""
    result = subprocess.run(
        [
            "/usr/bin/time",
            "-f",
            "%M",
            sys.executable,
            "-m",
            "kbp",
            "reap",
            "--kubeconfig",
            str(kubeconfig),
            "--warn-before",
            "0s",
            "--page-size",
            str(page_size),
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise SystemExit(f"kbp reap failed: {result.stderr[-2000:]}")
    return int(result.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--kubeconfig", type=Path)
    args = parser.parse_args()
    rows = []
    with control_plane(args.kubeconfig) as kubeconfig:
        made = 0
        for size in SIZES:
            began = time.perf_counter()
            populate(kubeconfig, made, size)
            print(f"created {size - made} namespaces in {time.perf_counter() - began:.1f}s", file=sys.stderr)
            made = size
            for page_size in PAGES:
                passes = [one_pass(kubeconfig, page_size) for _ in range(args.repeat)]
                seen = {p[2] for p in passes}
                if seen != {size}:
                    raise SystemExit(f"a pass saw {seen} namespaces, expected {size}")
                rows.append(
                    (
                        size,
                        page_size,
                        statistics.median(p[0] for p in passes),
                        max(p[1] for p in passes),
                        process_rss_kib(kubeconfig, page_size),
                    )
                )
    print(f"{'namespaces':>10} {'page':>7} {'pass s':>7} {'heap peak MiB':>14} {'process RSS MiB':>16}")
    for size, page, seconds, heap, rss in rows:
        label = "1 page" if page == PAGES[-1] else str(page)
        print(f"{size:>10} {label:>7} {seconds:>7.2f} {heap / 2**20:>14.1f} {rss / 1024:>16.1f}")
    by = {(size, page): (seconds, heap, rss) for size, page, seconds, heap, rss in rows}
    for page in PAGES:
        big, small = by[SIZES[1], page], by[SIZES[0], page]
        print(
            f"2,000 vs 200, page {page}: time x{big[0] / small[0]:.1f}, heap peak x{big[1] / small[1]:.1f}, "
            f"process RSS x{big[2] / small[2]:.2f}"
        )
    big = by[SIZES[1], 500]
    verdict = "meets" if big[0] < BAR_S else "MISSES"
    print(f"bar: a pass over 2,000 in {big[0]:.2f}s {verdict} the {BAR_S:.0f} s bar")


if __name__ == "__main__":
    main()
