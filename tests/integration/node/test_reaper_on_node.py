"""The reaper's CronJob on the real node: a real Job pod, its own ServiceAccount token, the policy in force.

deploy/reaper is installed with the kbp image that `kbp image build` made and loaded into the node;
a Job made from the CronJob runs `kbp reap --once --apply` in a container. The release's namespace
is one `kbp ns create` made, so Pod Security `restricted` is enforced on the Job's pod, unchanged
chart and all. It deletes the expired namespace kbp manages and leaves the rest: one not expired,
one kbp does not manage, one protected by name. (The cluster is the session's: other tests'
namespaces are plain ones, which the reaper never touches.)
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from kbp import kube, metadata
from kbp.namespaces import catalog
from kbp.namespaces.manifests import NamespaceSpec, namespace_manifest
from support.controlplane import ControlPlane
from support.onboarding import kbp

ROOT = Path(__file__).parents[3]
CHART = ROOT / "deploy" / "reaper"
PAST = "2025-01-01"
TIMEOUT = 180.0

pytestmark = pytest.mark.helm


def _load_kbp_image(plane: ControlPlane) -> str:
    """`kbp image build kbp --load` into the plane's node; the ref the node has it under."""
    argv = [
        *(sys.executable, "-m", "kbp", "image", "build", "kbp", "--allow-dirty", "--load"),
        *("--state-dir", str(plane.layout.root), "-o", "json"),
    ]
    with plane.importing_images():
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    (row,) = json.loads(done.stdout)["items"]
    assert row["loaded"] is True
    return str(row["ref"])


def _namespace(client: kube.KubeClient, name: str, *, expires: str, managed: bool = True) -> str:
    manifest = namespace_manifest(
        NamespaceSpec(name=name, owner="tester", team="qa", purpose="test", expires=expires),
        version=catalog.pod_security_version(client),
    )
    if not managed:
        del manifest["metadata"]["labels"][metadata.MANAGED_BY]
    kube.create(client, manifest)
    return name


def _gone_or_terminating(client: kube.KubeClient, name: str) -> bool:
    found = kube.find(client, "v1", "Namespace", name)
    return found is None or bool(found["metadata"].get("deletionTimestamp"))


def test_the_cronjobs_pod_deletes_the_expired_managed_namespace_and_nothing_else(
    real_cluster: ControlPlane,
) -> None:
    ref = _load_kbp_image(real_cluster)
    repository, tag = ref.rsplit(":", 1)
    release_ns = f"kbp-reaper-{secrets.token_hex(3)}"
    prefix = f"r{secrets.token_hex(3)}-"
    with real_cluster.client() as client:
        expired = _namespace(client, prefix + "expired", expires=PAST)
        kept = {
            _namespace(client, prefix + "future", expires="2099-01-01"),
            _namespace(client, prefix + "unmanaged", expires=PAST, managed=False),
            _namespace(client, prefix + "listed", expires=PAST),
        }
        kbp(
            real_cluster, "ns", "create", release_ns, "--owner", "platform", "--team", "platform",
            "--purpose", "the reaper", "--ttl", "forever",
        )  # fmt: skip
        labels = kube.get(client, "v1", "Namespace", release_ns)["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
        real_cluster.run(
            "helm", "install", "kbp-reaper", str(CHART), "-n", release_ns,
            "--set", "apply=true", "--set", "warnBefore=0s",
            "--set", f"image.repository={repository}", "--set", f"image.tag={tag}",
            "--set", "image.digest=", "--set", "image.pullPolicy=Never",
            "--set", f"protectedNames={{{prefix}listed}}",
        )  # fmt: skip
        try:
            real_cluster.run(
                "kubectl", "create", "job", "reap-now", "--from=cronjob/kbp-reaper", "-n", release_ns
            )

            def finished() -> dict[str, object] | None:
                status = kube.get(client, "batch/v1", "Job", "reap-now", release_ns).get("status", {})
                return status if status.get("succeeded") or status.get("failed") else None

            status = kube.wait_for(finished, timeout=TIMEOUT, what="the reaper's Job to finish")
            logs = real_cluster.run("kubectl", "logs", "-n", release_ns, "job/reap-now", check=False)
            assert status.get("succeeded") == 1, logs.stdout + logs.stderr
            pod = kube.list_objects(client, "v1", "Pod", release_ns, labels={"job-name": "reap-now"})[0]
            assert pod["spec"]["nodeName"] == "kbp-node"
            assert pod["spec"]["serviceAccountName"] == "kbp-reaper"
            assert _gone_or_terminating(client, expired), logs.stdout
            for name in kept:
                assert not _gone_or_terminating(client, name), f"{name} was deleted:\n{logs.stdout}"
            assert expired in logs.stdout  # its JSON lines say what it did
        finally:
            real_cluster.run("helm", "uninstall", "kbp-reaper", "-n", release_ns, check=False)
            for name in (*kept, expired, release_ns):
                real_cluster.run("kubectl", "delete", "namespace", name, "--wait=false", check=False)
