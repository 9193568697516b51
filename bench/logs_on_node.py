"""Log line to queryable on the real node, the whole path: `bench/observability.py --part node`.

A pod of the journal's image logs `--lines` request lines with the journal's logger, `--spacing`
apart; containerd writes them to the pod's log file, the logs chart's vlagent (a pod on the node)
ships them to its VictoriaLogs (a pod too). The bench polls the store from inside the node's
network and takes each line's latency as the wall time it was first answered minus its `_time`
(the line's own timestamp; pods and the bench share one kernel clock). Baseline in the same run:
the same lines posted straight into that store's `/insert/jsonline` from the node's network, at
the same spacing, timed the same way. Bar (issue 23): p99 < 10 s.
"""

from __future__ import annotations

import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

from kbp import kube
from support.controlplane import running
from support.logstack import load_api_image, log_stack, query, writer_pod
from support.realnode import namespace, node_of, ready_pod

BAR_P99_S = 10.0
POLL_S = 0.1

# Posts request lines straight into the store, each stamped as it is sent.
POSTER = """
import json, sys, time, datetime, httpx
url, ids, spacing = sys.argv[1], sys.argv[2].split(","), float(sys.argv[3])
params = {"_msg_field": "event", "_time_field": "timestamp",
          "_stream_fields": "kubernetes.pod_namespace,kubernetes.pod_name"}
for rid in ids:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    line = {"event": "request", "level": "info", "timestamp": now, "request_id": rid,
            "kubernetes.pod_namespace": sys.argv[4], "kubernetes.pod_name": "direct"}
    httpx.post(url, params=params, content=json.dumps(line), timeout=10).raise_for_status()
    time.sleep(spacing)
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def first_seen(
    query_lines: Callable[[], list[dict[str, Any]]], ids: list[str], timeout: float
) -> list[float]:
    """Poll until every id answers; each id's latency from its `_time` to its first answer."""
    wanted, latencies = set(ids), dict[str, float]()
    deadline = time.monotonic() + timeout
    while len(latencies) < len(wanted):
        if time.monotonic() > deadline:
            raise SystemExit(
                f"{len(wanted) - len(latencies)} of {len(ids)} lines not queryable in {timeout:.0f} s"
            )
        rows = query_lines()
        now = time.time()
        for row in rows:
            rid = row.get("request_id")
            if rid in wanted and rid not in latencies:
                latencies[rid] = now - datetime.fromisoformat(row["_time"]).timestamp()
        time.sleep(POLL_S)
    return list(latencies.values())


def node_part(lines: int, spacing: float, work: Path) -> None:
    with ExitStack() as stack:
        plane = stack.enter_context(running(work / "cluster", work / "tools", real_node=True))
        (work / "stack").mkdir()
        store_ip = stack.enter_context(log_stack(plane, work / "stack"))
        image = load_api_image(plane)
        client = stack.enter_context(plane.client())
        ns = stack.enter_context(namespace(client))
        node = node_of(plane)
        fields = "| fields request_id, _time"

        warm = [f"warm-{secrets.token_hex(4)}"]
        kube.create(client, writer_pod("warm", ns, image, warm, then_sleep=600))
        ready_pod(client, "warm", ns)
        first_seen(lambda: query(plane, store_ip, f'kubernetes.pod_name:="warm" {fields}'), warm, 120)

        ids = [f"b{i:03d}-{secrets.token_hex(3)}" for i in range(lines)]
        kube.create(client, writer_pod("writer", ns, image, ids, then_sleep=600, spacing=spacing))
        via = first_seen(
            lambda: query(
                plane, store_ip, f'kubernetes.pod_namespace:="{ns}" kubernetes.pod_name:="writer" {fields}'
            ),
            ids,
            lines * spacing + 180,
        )

        direct_ids = [f"d{i:03d}-{secrets.token_hex(3)}" for i in range(lines)]
        url = f"http://{store_ip}:9428/insert/jsonline"
        argv = node.in_network(sys.executable, "-c", POSTER, url, ",".join(direct_ids), str(spacing), ns)
        poster = subprocess.Popen(argv)
        try:
            direct = first_seen(
                lambda: query(
                    plane,
                    store_ip,
                    f'kubernetes.pod_namespace:="{ns}" kubernetes.pod_name:="direct" {fields}',
                ),
                direct_ids,
                lines * spacing + 120,
            )
        finally:
            poster.wait(timeout=60)
    print(f"log line to queryable on the real node over {lines} lines, {spacing:g} s apart")
    print(f"(the store polled every {POLL_S:g} s from the node's network):")
    for name, values in (("pod -> vlagent -> VictoriaLogs", via), ("posted into that VictoriaLogs", direct)):
        print(
            f"  {name:31} median {statistics.median(values):6.3f} s   p99 {percentile(values, 0.99):6.3f} s"
        )
    print(f"  pod path / baseline: median {statistics.median(via) / statistics.median(direct):.2f}x")
    verdict = "meets" if percentile(via, 0.99) < BAR_P99_S else "MISSES"
    print(f"  bar p99 < {BAR_P99_S:.0f} s: {verdict}")
