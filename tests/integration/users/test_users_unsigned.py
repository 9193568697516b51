"""Onboarding on a control plane that will not sign (as EKS: aws/containers-roadmap#1604).

A private cluster's controller-manager runs without its CSR signing controller for this module,
so an approved CSR is never issued unless a test says otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kbp import kube, metadata
from support.controlplane import ControlPlane, controller_manager_with
from support.onboarding import TIMEOUT, unique

CSR = "certificates.k8s.io/v1"
RBAC = "rbac.authorization.k8s.io/v1"
SIGNER_OFF = "*,-certificatesigningrequest-signing-controller"


@pytest.fixture(scope="module")
def cluster(private_cluster: ControlPlane) -> ControlPlane:
    """Not the shared plane: no test beside this module could have a certificate signed."""
    return private_cluster


@pytest.fixture(scope="module", autouse=True)
def signer_off(cluster: ControlPlane) -> Iterator[None]:
    with controller_manager_with(cluster, SIGNER_OFF):
        yield


def _csrs(api: kube.KubeClient, user: str) -> list[dict[str, object]]:
    return kube.list_objects(api, CSR, "CertificateSigningRequest", labels={metadata.USER: user})


def _add(cluster: ControlPlane, name: str, out: Path, timeout: str) -> subprocess.Popen[str]:
    args = ["user", "add", name, "--team", "payments", "--out", str(out), "--timeout", timeout]
    pipe = subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-m", "kbp", *args], env=cluster.env(), stdout=pipe, stderr=pipe, text=True
    )


def _assert_nothing_left(api: kube.KubeClient, name: str, out: Path) -> None:
    assert not out.exists()
    assert _csrs(api, name) == []
    assert kube.find(api, "v1", "Namespace", f"dev-{name}") is None
    assert kube.list_objects(api, RBAC, "RoleBinding", labels={metadata.USER: name}) == []


def test_an_approved_csr_never_issued_fails_in_time_points_to_oidc_and_rolls_back(
    cluster: ControlPlane, tmp_path: Path
) -> None:
    name = unique("erin")
    out = tmp_path / "erin.kubeconfig"
    with _add(cluster, name, out, "3") as proc:
        _, stderr = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 1, stderr
    assert "approved, but no certificate was issued within 3s" in stderr
    assert f"kbp user add {name} --oidc ISSUER" in stderr
    with cluster.client() as api:
        _assert_nothing_left(api, name, out)


def test_a_failed_csr_is_reported_and_leaves_no_user_behind(cluster: ControlPlane, tmp_path: Path) -> None:
    name = unique("frank")
    out = tmp_path / "frank.kubeconfig"
    with cluster.client() as api, _add(cluster, name, out, "60") as proc:

        def approved() -> str | None:
            for csr in _csrs(api, name):
                if kube.condition(csr, "Approved") == "True":
                    return str(csr["metadata"]["name"])  # type: ignore[index]
            return None

        csr = kube.wait_for(approved, timeout=TIMEOUT, what="kbp's approved CSR")
        failed = {
            "type": "Failed",
            "status": "True",
            "reason": "SignerValidationFailure",
            "message": "bad key",
        }
        patch = [{"op": "add", "path": "/status/conditions/-", "value": failed}]
        cluster.run(
            "kubectl", "patch", "csr", csr, "--subresource=status", "--type=json", "-p", json.dumps(patch)
        )
        _, stderr = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 1, stderr
        assert f"CSR {csr} failed (the signer gave up): SignerValidationFailure: bad key" in stderr
        _assert_nothing_left(api, name, out)
