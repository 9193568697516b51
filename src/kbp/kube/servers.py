"""The API server a kubeconfig context points at: its URL and CA, and the version it runs."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from lightkube import Client
from lightkube.core.exceptions import ConfigError

from kbp.kube.errors import KubeError, translated
from kbp.kube.kubeconfigs import load_context


@dataclass(frozen=True)
class Server:
    """Where a kubeconfig context points: the cluster's name there, its URL, and the CA it trusts."""

    cluster: str
    url: str
    ca_pem: bytes | None  # None when the kubeconfig names no CA (insecure, or the system trust store)


def server(kubeconfig: Path | None = None, *, context: str | None = None) -> Server:
    """The API server a kubeconfig context talks to, with its CA read from the data or the file."""
    single = load_context(kubeconfig, context)
    cluster = single.cluster
    try:
        if cluster.certificate_auth_data:
            ca: bytes | None = base64.b64decode(cluster.certificate_auth_data)
        elif cluster.certificate_auth:
            ca = Path(single.abs_file(cluster.certificate_auth)).read_bytes()
        else:
            ca = None
    except (ValueError, OSError, ConfigError) as exc:
        raise KubeError(
            f"kubeconfig {kubeconfig or '(default)'}: cannot read the cluster's CA: {exc}"
        ) from exc
    return Server(single.context.cluster, cluster.server, ca)


def server_version(client: Client) -> tuple[int, int]:
    """The API server's (major, minor) from /version; a minor such as "37+" counts as 37."""
    http = client._client._client  # lightkube has no call for /version
    with translated():
        response = http.get("/version")
        response.raise_for_status()
        info = response.json()
    try:
        return int(info["major"]), int(str(info["minor"]).rstrip("+"))
    except (KeyError, TypeError, ValueError) as exc:
        raise KubeError(f"the API server's /version is unreadable: {info!r}") from exc
