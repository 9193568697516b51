"""Line streams from the cluster: a container's log, a Service's endpoint through the API server's
service proxy."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import httpx2
from lightkube import Client

from kbp.kube.errors import for_status, translated


def pod_log(
    client: Client, name: str, namespace: str, *, container: str, since_seconds: int, follow: bool
) -> Iterator[str]:
    """A container's log lines, each with the kubelet's RFC 3339 timestamp in front."""
    with translated():
        lines = client.log(
            name,
            namespace=namespace,
            container=container,
            since=since_seconds,
            follow=follow,
            timestamps=True,
            newlines=False,
        )
        yield from lines


def service_proxy_lines(
    client: Client, service: tuple[str, str, str], path: str, params: Mapping[str, str]
) -> Iterator[str]:
    """GET a Service's endpoint through the API server's service proxy, line by line as they come.

    The API server authenticates the caller and checks `get services/proxy` on that Service.
    """
    namespace, name, port = service  # the Service's namespace, name and port (name or number)
    url = f"/api/v1/namespaces/{namespace}/services/{name}:{port}/proxy/{path.lstrip('/')}"
    http: httpx2.Client = client._client._client  # lightkube has no raw-request API
    with (
        translated(),
        http.stream("GET", url, params=dict(params), timeout=httpx2.Timeout(30, read=None)) as resp,
    ):
        if resp.status_code >= 400:
            body = resp.read().decode(errors="replace")[:300]
            raise for_status(resp.status_code)(f"{url}: HTTP {resp.status_code}: {body}", resp.status_code)
        yield from resp.iter_lines()
