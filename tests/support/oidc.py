"""What the OIDC tests share: the trusted issuer's name and rule, and waiting for the API server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from kbp import kube
from support.controlplane import ControlPlane
from support.dex import Dex

RELOAD_TIMEOUT_S = 90.0  # the API server's poll is 1 minute; inotify makes it seconds
ISSUER = "dex"
RULE = "claims.email.endsWith('@example.com')"

Whoami = Callable[[str], dict[str, Any]]


def wait_accepted(whoami: Whoami, token: Callable[[], str]) -> dict[str, Any]:
    """Poll until the API server accepts a (fresh) token: it has reloaded the file."""

    def accepted() -> dict[str, Any] | None:
        try:
            return whoami(token())
        except kube.KubeError as exc:
            if exc.status != 401:
                raise
            return None

    return kube.wait_for(
        accepted, timeout=RELOAD_TIMEOUT_S, what="the API server to accept the issuer", interval=0.5
    )


def auth_config(cluster: ControlPlane) -> list[str]:
    return ["--auth-config", str(cluster.layout.authentication_config)]


def ca_file(dex: Dex, directory: Path) -> Path:
    path = directory / "dex-ca.pem"
    path.write_text(dex.ca_pem)
    return path
