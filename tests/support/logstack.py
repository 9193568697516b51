"""The cluster's log stack on the real node, for tests and the bench: deploy/cluster-services/charts/logs
with images made from testenv/observability's binaries, pods of the journal's image writing the
journal's own JSON lines, and LogsQL queries asked from inside the node's network."""

from __future__ import annotations

import json
import secrets
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kbp import kube
from kbp.cluster.node import images
from support import localimages
from support.controlplane import ControlPlane
from support.observability import bin_dir
from support.realnode import get_from_node, import_archive, node_of

ROOT = Path(__file__).parents[2]
CHART = ROOT / "deploy" / "cluster-services" / "charts" / "logs"
VERSION = "v1.52.2"

# The journal's logger (journal.logs), one request line per id, as its access middleware writes;
# then it sleeps, so the pod stays up (0 exits, for the kubelet to restart it).
WRITER = """
import sys, time, structlog
from journal.logs import configure_logging
log = configure_logging("info")
for rid in sys.argv[1].split(","):
    structlog.contextvars.bind_contextvars(request_id=rid)
    log.info("request", method="GET", route="/api", status=200, duration_ms=1.5)
    time.sleep(float(sys.argv[3]))
time.sleep(float(sys.argv[2]))
"""


def load_api_image(plane: ControlPlane) -> str:
    """The journal's API image, built (cached) and loaded into the plane's node; its reference."""
    return localimages.load(plane, "api")["api"]


@contextmanager
def log_stack(plane: ControlPlane, scratch: Path) -> Iterator[str]:
    """The logs chart installed with images of the same release's binaries; the store's pod IP."""
    node = node_of(plane)
    for name in ("victoria-logs", "vlagent"):
        tag = f"docker.io/victoriametrics/{name}:{VERSION}"
        archive = images.docker_archive(
            scratch / f"{name}.tar", tag, {f"/{name}": bin_dir() / name}, [f"/{name}"]
        )
        import_archive(plane, archive)
    release_ns = f"logging-{secrets.token_hex(3)}"
    state = scratch / "vlagent-state"
    state.mkdir()
    plane.run(
        "helm", "install", "logs", str(CHART), "-n", release_ns, "--create-namespace",
        "--set", f"collector.podLogsPath={node.pod_logs}", "--set", f"collector.statePath={state}",
        "--set", "imagePullPolicy=Never", "--wait", "--timeout", "180s", timeout=200,
    )  # fmt: skip
    try:
        with plane.client() as client:
            [pod] = kube.list_objects(
                client, "v1", "Pod", release_ns, {"app.kubernetes.io/name": "victoria-logs"}
            )
            yield str(pod["status"]["podIP"])
    finally:
        plane.run("helm", "uninstall", "logs", "-n", release_ns, "--wait", check=False)
        with plane.client() as client:
            kube.delete(client, "v1", "Namespace", release_ns)


def query(plane: ControlPlane, store_ip: str, logsql: str) -> list[dict[str, Any]]:
    url = f"http://{store_ip}:9428/select/logsql/query?" + urllib.parse.urlencode({"query": logsql})
    body = get_from_node(node_of(plane), url)
    return [json.loads(line) for line in body.splitlines() if line.strip()]


def writer_pod(
    name: str, ns: str, image: str, ids: list[str], *, then_sleep: float, spacing: float = 0.05
) -> dict[str, Any]:
    """A pod of the journal's image that logs one request line per id, `spacing` s apart."""
    container = {
        "name": "api",
        "image": image,
        "imagePullPolicy": "Never",
        "command": ["python", "-c", WRITER, ",".join(ids), str(then_sleep), str(spacing)],
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app.kubernetes.io/instance": "journal"}},
        "spec": {
            "containers": [container],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 1,
            "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        },
    }
