"""Where the lines come from: the log store (through the API server, or a URL), or the pods.

The store is read through the API server's service proxy, so the caller's own kubeconfig and RBAC
decide (`get services/proxy` on the store's Service); `--store-url` reads a store directly (a
port-forward, or from inside the cluster). Without a store, or without access to it, the lines
come from the pods' own logs (`pods/log`, which RBAC grants per namespace).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx

from kbp import kube
from kbp.logs.query import QueryError, Scope, matches, pod_entry, store_entry, store_params


@dataclass(frozen=True)
class Store:
    """The store's Service (namespace/name:port), or a URL that bypasses the API server."""

    namespace: str = "logging"
    service: str = "victoria-logs"
    port: str = "http"
    url: str | None = None

    @classmethod
    def parse(cls, ref: str, url: str | None = None) -> Store:
        """`logging/victoria-logs:http` -> Store; a clear error for anything else."""
        namespace, slash, rest = ref.partition("/")
        service, _, port = rest.partition(":")
        if not slash or not namespace or not service:
            raise QueryError(
                f'--store: "{ref}" is not NAMESPACE/SERVICE[:PORT], e.g. logging/victoria-logs:http'
            )
        return cls(namespace, service, port or "http", url)


class StoreUnavailableError(Exception):
    """The store is missing or the caller may not read it; the message says which."""


def store_available(client: kube.KubeClient, store: Store) -> str | None:
    """None when the store can be read, else why not (for the fallback's note)."""
    if store.url:
        return None
    if not kube.can_i(
        client,
        verb="get",
        resource="services/proxy",
        namespace=store.namespace,
        name=f"{store.service}:{store.port}",
    ):
        return f"you may not read the log store (get services/proxy on {store.namespace}/{store.service})"
    try:
        found = kube.find(client, "v1", "Service", store.service, store.namespace)
    except kube.ForbiddenError:
        found = {}  # allowed to read through it but not to get it: the proxy will tell
    if found is None:
        return f"no log store: Service {store.namespace}/{store.service} not found"
    return None


def from_store(
    client: kube.KubeClient,
    store: Store,
    scope: Scope,
    query: str,
    *,
    since: timedelta,
    limit: int,
    follow: bool,
) -> Iterator[dict[str, Any]]:
    """The store's entries for the scope, oldest first; with `follow`, then every new one."""
    params = store_params(scope, query, since=since, limit=limit, follow=follow)
    path = "select/logsql/tail" if follow else "select/logsql/query"
    lines = _direct(store.url, path, params) if store.url else _proxied(client, store, path, params)
    entries = (e for e in map(store_entry, lines) if e is not None)
    if follow:
        yield from entries
    else:
        yield from reversed(list(entries))  # asked newest first, so `limit` keeps the latest


def _proxied(client: kube.KubeClient, store: Store, path: str, params: Mapping[str, str]) -> Iterator[str]:
    try:
        yield from kube.service_proxy_lines(
            client, (store.namespace, store.service, store.port), path, params
        )
    except kube.KubeError as exc:
        raise StoreUnavailableError(f"log store {store.namespace}/{store.service}: {exc}") from exc


def _direct(url: str, path: str, params: Mapping[str, str]) -> Iterator[str]:
    try:
        with httpx.stream(
            "GET", f"{url.rstrip('/')}/{path}", params=dict(params), timeout=httpx.Timeout(30, read=None)
        ) as resp:
            if resp.status_code >= 400:
                raise StoreUnavailableError(
                    f"log store {url}: HTTP {resp.status_code}: {resp.read().decode(errors='replace')[:300]}"
                )
            yield from resp.iter_lines()
    except httpx.HTTPError as exc:
        raise StoreUnavailableError(f"log store {url}: {exc}") from exc


def release_containers(client: kube.KubeClient, scope: Scope) -> list[tuple[str, str]]:
    """(pod, container) of every container of the release's pods, by pod name."""
    pods = kube.list_objects(
        client, "v1", "Pod", scope.namespace, labels={"app.kubernetes.io/instance": scope.release}
    )
    found = []
    for pod in sorted(pods, key=lambda p: str(p["metadata"]["name"])):
        for container in pod["spec"].get("containers", []):
            found.append((str(pod["metadata"]["name"]), str(container["name"])))
    return found


def from_pods(
    client: kube.KubeClient, scope: Scope, query: str, *, since: timedelta, limit: int, follow: bool
) -> Iterator[dict[str, Any]]:
    """Every container's own log; sorted by time, or interleaved as they come with `follow`."""
    containers = release_containers(client, scope)
    if not containers:
        raise QueryError(f'no pods of release "{scope.release}" in namespace {scope.namespace}')
    seconds = max(1, int(since.total_seconds()))

    def read(pod: str, container: str) -> Iterator[dict[str, Any]]:
        lines = kube.pod_log(
            client, pod, scope.namespace, container=container, since_seconds=seconds, follow=follow
        )
        for line in lines:
            entry = pod_entry(pod, container, line)
            if matches(entry, query):
                yield entry

    if not follow:
        entries = [e for pod, container in containers for e in read(pod, container)]
        entries.sort(key=lambda e: str(e["_time"]))
        yield from entries[-limit:]
        return
    yield from _interleave([read(pod, container) for pod, container in containers])


_DONE = object()


def _interleave(streams: list[Iterator[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    """Entries from every stream as each arrives (one reader thread per stream); errors re-raised."""
    inbox: queue.Queue[Any] = queue.Queue(maxsize=1000)

    def pump(stream: Iterator[dict[str, Any]]) -> None:
        try:
            for entry in stream:
                inbox.put(entry)
        except Exception as exc:  # handed to the consumer, which re-raises it
            inbox.put(exc)
        finally:
            inbox.put(_DONE)

    for stream in streams:
        threading.Thread(target=pump, args=(stream,), daemon=True).start()
    running = len(streams)
    while running:
        item = inbox.get()
        if item is _DONE:
            running -= 1
        elif isinstance(item, Exception):
            raise item
        else:
            yield item
