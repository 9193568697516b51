"""A second issuer added to the AuthenticationConfiguration takes effect without a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbp import kube
from support import dex as dexes
from support.controlplane import ControlPlane
from support.dex import Dex
from support.oidc import Whoami, auth_config, ca_file, wait_accepted
from support.onboarding import kbp


def test_a_second_issuer_is_accepted_without_a_restart_and_refused_once_removed(
    cluster: ControlPlane, trusted_dex: Dex, other_dex: Dex, whoami: Whoami, tmp_path: Path
) -> None:
    pid_before = cluster.layout.pid("kube-apiserver").read_text()
    with pytest.raises(kube.KubeError):
        whoami(other_dex.password_token(dexes.ALICE).id_token)
    add = ["auth", "oidc", "add", "other", "--preset", "dex", "--issuer", other_dex.issuer]
    add += ["--client-id", dexes.CLIENT_ID, "--ca-file", str(ca_file(other_dex, tmp_path))]
    kbp(cluster, *add, *auth_config(cluster))
    try:
        user = wait_accepted(whoami, lambda: other_dex.password_token(dexes.ALICE).id_token)
        assert user["username"] == f"other:{dexes.ALICE.email}"
        # and the first issuer still works beside it
        assert whoami(trusted_dex.password_token(dexes.ALICE).id_token)["username"].startswith("dex:")
    finally:
        kbp(cluster, "auth", "oidc", "remove", "other", *auth_config(cluster))

    def refused() -> bool | None:
        try:
            whoami(other_dex.password_token(dexes.ALICE).id_token)
        except kube.KubeError as exc:
            return True if exc.status == 401 else None
        return None

    kube.wait_for(refused, timeout=90.0, what="the API server to drop the removed issuer", interval=0.5)
    assert cluster.layout.pid("kube-apiserver").read_text() == pid_before  # never restarted
