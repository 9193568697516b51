"""kbp reads Helm's releases from the API (kbp.platform.helmstore) as `helm list` reports them.

`kbp cluster-services status`, `diff`, `apply` and `kbp fleet` no longer run `helm list`: they read
Helm 4's release Secrets themselves. Here helm 4 from testenv leaves every state it can (several
revisions, a failed install, a failed upgrade over a deployed revision, a release uninstalled with
its history kept, a release in ConfigMaps) and kbp's read must equal helm's own list.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kbp import kube
from kbp.platform import helmstore
from kbp.platform.errors import ToolError
from support.controlplane import ControlPlane

TINY = Path(__file__).parents[1] / "fixtures" / "charts" / "tiny"
LISTED = ["--deployed", "--failed", "--pending"]


def helm(cluster: ControlPlane, *args: str, driver: str = "secret", ok: bool = True) -> str:
    result = subprocess.run(
        [str(cluster.bin_dir / "helm"), *args],
        env={**cluster.env(), "HELM_DRIVER": driver},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode == 0) is ok, f"helm {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def helm_list(cluster: ControlPlane, namespace: str, driver: str) -> dict[str, tuple[str, int, str]]:
    out = helm(cluster, "list", "-A", *LISTED, "--max", "0", "-o", "json", driver=driver)
    return {
        f"{r['namespace']}/{r['name']}": (r["chart"], int(r["revision"]), r["status"])
        for r in json.loads(out)
        if r["namespace"] == namespace
    }


def kbp_read(cluster: ControlPlane, namespace: str) -> dict[str, tuple[str, int, str]]:
    return {
        k: (f"{d.chart_name}-{d.version}", d.revision, d.status)
        for k, d in helmstore.read(cluster.kubeconfig, None).items()
        if d.namespace == namespace
    }


@pytest.fixture(scope="module")
def namespace(cluster: ControlPlane) -> Iterator[str]:
    ns = f"helmstore-{secrets.token_hex(3)}"
    chart = str(TINY)
    install = ["upgrade", "--install", "-n", ns, "--create-namespace"]
    good = ["--set", "image=registry.example/tiny:1"]
    bad = [*good, "--set", "replicas=-1"]  # the API refuses the Deployment: Helm records a failure
    helm(cluster, *install, "one", chart, *good)
    for greeting in ("a", "b", "c"):
        helm(cluster, *install, "many", chart, *good, "--set", f"greeting={greeting}")
    helm(cluster, *install, "broken", chart, *bad, ok=False)
    helm(cluster, *install, "recovered", chart, *bad, ok=False)
    helm(cluster, *install, "recovered", chart, *good)
    helm(cluster, *install, "relapsed", chart, *good)
    helm(cluster, *install, "relapsed", chart, *bad, ok=False)
    helm(cluster, *install, "gone", chart, *good)
    helm(cluster, "uninstall", "gone", "-n", ns, "--keep-history")
    helm(cluster, *install, "in-configmaps", chart, *good, driver="configmap")
    try:
        yield ns
    finally:
        cluster.run("kubectl", "delete", "namespace", ns, "--wait=false", check=False)


def test_kbp_reads_what_helm_list_reports(
    cluster: ControlPlane, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HELM_DRIVER", raising=False)
    listed = helm_list(cluster, namespace, "secret")
    # The states above, as helm itself lists them: the test's premise.
    assert {k.split("/")[1]: v[1:] for k, v in listed.items()} == {
        "one": (1, "deployed"),
        "many": (3, "deployed"),
        "broken": (1, "failed"),
        "recovered": (2, "deployed"),
        "relapsed": (2, "failed"),
    }
    assert kbp_read(cluster, namespace) == listed


def test_kbp_reads_configmaps_when_helm_driver_says_so(
    cluster: ControlPlane, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELM_DRIVER", "configmap")
    listed = helm_list(cluster, namespace, "configmap")
    assert list(listed) == [f"{namespace}/in-configmaps"]
    assert kbp_read(cluster, namespace) == listed


def test_the_manifest_is_what_helm_get_manifest_prints(
    cluster: ControlPlane, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HELM_DRIVER", raising=False)
    printed = helm(cluster, "get", "manifest", "many", "-n", namespace)
    read = helmstore.read(cluster.kubeconfig, None)[f"{namespace}/many"].manifest
    assert 'greeting: "c"' in read
    assert read.strip() == printed.strip()


def test_one_release_reads_as_helm_lists_it_with_its_manifest(
    cluster: ControlPlane, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kbp deploy` diffs against this read, where it ran `helm get manifest` before."""
    monkeypatch.delenv("HELM_DRIVER", raising=False)
    everything = helmstore.read(cluster.kubeconfig, None)
    with kube.connect(cluster.kubeconfig) as client:
        for name in ("one", "many", "broken", "recovered", "relapsed", "gone", "never-installed"):
            found = helmstore.deployed_release(client, namespace, name)
            assert found == everything.get(f"{namespace}/{name}"), name
        recovered = helmstore.deployed_release(client, namespace, "recovered")
    assert recovered is not None
    printed = helm(cluster, "get", "manifest", "recovered", "-n", namespace)
    assert recovered.manifest.strip() == printed.strip() != ""


def test_computed_values_are_what_helm_get_values_all_prints(
    cluster: ControlPlane, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kbp deploy` reads the previous tag and the release's address from these, where it ran
    `helm get values --all`: the chart's values under the release's, a null dropping a chart key."""
    monkeypatch.delenv("HELM_DRIVER", raising=False)
    ns = f"{namespace}-values"
    sets = ["--set", "image=registry.example/tiny:2", "--set", "greeting=null", "--set", "extra.level.a=1"]
    helm(cluster, "upgrade", "--install", "-n", ns, "--create-namespace", "valued", str(TINY), *sets)
    try:
        with kube.connect(cluster.kubeconfig) as client:
            for where, name in ((namespace, "many"), (namespace, "recovered"), (ns, "valued")):
                release = helmstore.listed_release(client, where, name)
                assert release is not None, name
                printed = json.loads(helm(cluster, "get", "values", name, "--all", "-o", "json", "-n", where))
                assert helmstore.computed_values(release) == printed, name
            assert helmstore.listed_release(client, namespace, "gone") is None
    finally:
        cluster.run("kubectl", "delete", "namespace", ns, "--wait=false", check=False)
    assert "greeting" not in printed
    assert printed["extra"] == {"level": {"a": 1}}
    assert printed["replicas"] == 2  # the chart's


def test_a_cluster_that_refuses_the_read_is_a_tool_error(cluster: ControlPlane, tmp_path: Path) -> None:
    broken = tmp_path / "kubeconfig"
    text = cluster.kubeconfig.read_text()
    broken.write_text(text.replace(cluster.server, "https://127.0.0.1:1"))
    os.chmod(broken, 0o600)
    with pytest.raises(ToolError, match="cannot read Helm's releases from the cluster"):
        helmstore.read(broken, None)
