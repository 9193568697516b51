"""Whether cluster DNS answers on the real node, and what the CoreDNS pods are doing when it does not
(their status, warnings and last log lines, for `up`'s error)."""

from __future__ import annotations

import contextlib
import subprocess
import sys

from kbp import kube
from kbp.cluster.node import config, dns, podstatus
from kbp.cluster.record import Cluster, RealNode

PROBE = f"kubernetes.default.svc.{config.CLUSTER_DOMAIN}"
LOG_LINES = 10  # of a CoreDNS container that never became ready, in `up`'s error


def answers(node: RealNode) -> bool:
    """Whether a name resolves through the kube-dns Service from inside the node's network."""
    argv = node.in_network(sys.executable, "-m", "kbp.cluster.node.dnsquery", config.CLUSTER_DNS, PROBE)
    return subprocess.run(argv, capture_output=True, timeout=30, check=False).returncode == 0


def describe_pods(cluster: Cluster) -> str:
    """What the CoreDNS pods are doing (status, warnings, last log lines), or why that is unknown."""
    assert cluster.node is not None
    try:
        with kube.connect(cluster.kubeconfig) as client:
            pods = kube.list_objects(client, "v1", "Pod", dns.NAMESPACE, dns.LABELS)
            events = kube.list_objects(client, "v1", "Event", dns.NAMESPACE)
    except kube.KubeError as exc:
        return f"(the CoreDNS pods could not be read: {exc})"
    logs = {}
    for pod in pods:
        meta = pod["metadata"]
        # The kubelet's files: <namespace>_<pod>_<uid>/<container>/<restart>.log
        found = sorted(
            (cluster.node.pod_logs / f"{dns.NAMESPACE}_{meta['name']}_{meta.get('uid', '')}" / dns.NAME).glob(
                "*.log"
            ),
            key=lambda path: path.stat().st_mtime,
        )
        if found:
            with contextlib.suppress(OSError):
                logs[meta["name"]] = podstatus.log_lines(found[-1].read_text(errors="replace"), LOG_LINES)
    return podstatus.describe(pods, events, logs, workload=dns.NAME)
