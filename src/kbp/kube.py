"""The Kubernetes boundary: the only module that imports lightkube.

Callers pass and receive plain dicts (manifests as they appear in YAML) and catch `KubeError`;
nothing lightkube-specific leaks out, so the client library can change behind this module.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx2
from lightkube import ALL_NS, Client, codecs
from lightkube.config.kubeconfig import KubeConfig, SingleConfig
from lightkube.core.exceptions import ApiError, ConfigError, LoadResourceError
from lightkube.core.resource import NamespacedResource, Resource
from lightkube.generic_resource import load_in_cluster_generic_resources
from lightkube.models.meta_v1 import Status
from lightkube.operators import not_equal
from lightkube.resources.certificates_v1 import CertificateSigningRequest, CertificateSigningRequestApproval
from lightkube.types import PatchType

FIELD_MANAGER = "kbp"
# Callers annotate with this name, so only this module names lightkube.
KubeClient = Client
T = TypeVar("T")


class KubeError(Exception):
    """An API call failed. `status` is the HTTP status (0 when the server was unreachable)."""

    def __init__(self, message: str, status: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class NotFoundError(KubeError):
    """The object does not exist (HTTP 404)."""


class ForbiddenError(KubeError):
    """The caller is not allowed to do this (HTTP 403)."""


class WaitTimeoutError(KubeError):
    """`wait_for` gave up: what it waited for did not happen in time."""


@contextmanager
def translated() -> Iterator[None]:
    """Turn lightkube/httpx failures into KubeError subclasses."""
    try:
        yield
    except ApiError as exc:
        status = exc.status.code or 0
        cls = {404: NotFoundError, 403: ForbiddenError}.get(status, KubeError)
        raise cls(exc.status.message or str(exc), status, exc.status.reason or "") from exc
    except KubeError:
        raise
    except httpx2.HTTPError as exc:
        raise KubeError(f"cannot reach the API server: {exc}") from exc


def connect(
    kubeconfig: Path | None = None,
    *,
    context: str | None = None,
    namespace: str | None = None,
    field_manager: str = FIELD_MANAGER,
    timeout: float | None = None,
) -> KubeClient:
    """A client for a kubeconfig's context (its current one unless `context` names another).

    Without a file, kubectl's order: the pod's ServiceAccount, then `$KUBECONFIG`, then ~/.kube/config.
    `namespace` defaults to the context's namespace, as kubectl does. `timeout` bounds each
    request (lightkube's default is 10 s).
    """
    single = _context(kubeconfig, context)
    _error_type_built()
    with translated():
        return Client(
            single,
            namespace=namespace,
            field_manager=field_manager,
            trust_env=False,
            timeout=httpx2.Timeout(timeout) if timeout is not None else None,
        )


def context_namespace(kubeconfig: Path | None = None, *, context: str | None = None) -> str:
    """The namespace a kubeconfig context sets (kubectl's default for `-n`), else "default"."""
    return _context(kubeconfig, context).namespace


@dataclass(frozen=True)
class Server:
    """Where a kubeconfig context points: the cluster's name there, its URL, and the CA it trusts."""

    cluster: str
    url: str
    ca_pem: bytes | None  # None when the kubeconfig names no CA (insecure, or the system trust store)


def server(kubeconfig: Path | None = None, *, context: str | None = None) -> Server:
    """The API server a kubeconfig context talks to, with its CA read from the data or the file."""
    single = _context(kubeconfig, context)
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


def _context(kubeconfig: Path | None, context: str | None) -> SingleConfig:
    try:
        with _first_decode(KubeConfig):  # msgspec converts the file too; threads connect at once
            config = KubeConfig.from_file(kubeconfig) if kubeconfig else KubeConfig.from_env()
        single = config.get(context_name=context)
    except (ConfigError, OSError) as exc:
        raise KubeError(f"kubeconfig {kubeconfig or '(default)'}: {exc}") from exc
    if single is None:
        raise KubeError(f"kubeconfig {kubeconfig or '(default)'}: no current context")
    return single


def _kind(client: Client, api_version: str, kind: str) -> type[Resource]:
    """The resource class for a kind; a CustomResourceDefinition's kind is learnt from the cluster."""
    try:
        return _registered(api_version, kind)
    except LoadResourceError:
        with translated():
            load_in_cluster_generic_resources(client)
    try:
        return _registered(api_version, kind)
    except LoadResourceError as exc:
        raise KubeError(f"unknown kind {api_version}/{kind}: not built in, and no CRD defines it") from exc


def _registered(api_version: str, kind: str) -> type[Resource]:
    res: type[Resource] | None = codecs.resource_registry.load(api_version, kind)
    if res is None:
        raise LoadResourceError(f"{api_version}/{kind}")
    return res


def _object(client: Client, manifest: Mapping[str, Any]) -> Any:
    _kind(client, str(manifest.get("apiVersion", "")), str(manifest.get("kind", "")))
    return codecs.from_dict(dict(manifest))


# lightkube decodes with msgspec, which builds a Struct's type information on its first decode; two
# threads doing that at once (for kinds sharing ObjectMeta, say, or two kubeconfig files) crash the
# interpreter, as `kbp fleet status` asking three clusters at once showed. The first decode of each
# kind, and the first kubeconfig read, run alone.
_FIRST_DECODE = threading.RLock()
_decoded: set[type] = set()


@contextmanager
def _first_decode(res: type) -> Iterator[None]:
    if res in _decoded:
        yield
        return
    with _FIRST_DECODE:
        yield
        _decoded.add(res)


def _error_type_built() -> None:
    """lightkube decodes an error's body into a Status outside our first-decode guard (an ApiError
    raised by a kind decoded before), so Status's type information is built here, alone, before
    any call can fail."""
    with _first_decode(Status):
        Status.from_dict(
            {"kind": "Status", "metadata": {}, "details": {"causes": [{"field": "f"}], "name": "n"}}
        )


def _api(client: Client) -> Any:
    # lightkube's overloads key on the static resource class; ours is chosen at runtime from a dict.
    return client


def _as_dict(obj: Any) -> dict[str, Any]:
    result: dict[str, Any] = obj.to_dict()
    return result


def apply(client: Client, manifest: Mapping[str, Any], *, force: bool = True) -> dict[str, Any]:
    """Server-side apply one manifest; returns the object as the server stored it."""
    obj = _object(client, manifest)
    namespace = manifest.get("metadata", {}).get("namespace")
    with translated(), _first_decode(type(obj)):
        return _as_dict(_api(client).apply(obj, namespace=namespace, force=force))


def create(client: Client, manifest: Mapping[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
    """Create one object (fails with KubeError 409 if it exists); `dry_run` runs admission, stores nothing."""
    obj = _object(client, manifest)
    namespace = manifest.get("metadata", {}).get("namespace")
    with translated(), _first_decode(type(obj)):
        return _as_dict(_api(client).create(obj, namespace=namespace, dry_run=dry_run))


def get(
    client: Client, api_version: str, kind: str, name: str, namespace: str | None = None
) -> dict[str, Any]:
    res = _kind(client, api_version, kind)
    with translated(), _first_decode(res):
        return _as_dict(_api(client).get(res, name, namespace=namespace))


def find(
    client: Client, api_version: str, kind: str, name: str, namespace: str | None = None
) -> dict[str, Any] | None:
    """Like `get`, but None when the object does not exist."""
    try:
        return get(client, api_version, kind, name, namespace)
    except NotFoundError:
        return None


def list_objects(
    client: Client,
    api_version: str,
    kind: str,
    namespace: str | None = None,
    labels: Mapping[str, str | None] | None = None,
    *,
    excluding: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """All objects of a kind (in one namespace, or cluster-wide / all namespaces when None).

    A label whose value is None selects objects that have the label, whatever its value;
    `excluding` leaves out objects whose label has that value (`key!=value`).
    """
    res = _kind(client, api_version, kind)
    selector: dict[str, Any] = {**(labels or {}), **{k: not_equal(v) for k, v in (excluding or {}).items()}}
    with translated(), _first_decode(res):
        # lightkube spells "all namespaces" as "*"; cluster-scoped kinds take no namespace.
        ns: Any = namespace if namespace is not None or not issubclass(res, NamespacedResource) else ALL_NS
        items = _api(client).list(res, namespace=ns, labels=selector or None)
        return [_as_dict(item) for item in items]


def iter_objects(
    client: Client,
    api_version: str,
    kind: str,
    *,
    labels: Mapping[str, str] | None = None,
    fields: Mapping[str, str] | None = None,
    page_size: int = 500,
) -> Iterator[dict[str, Any]]:
    """Cluster-scoped objects one page at a time (`limit`/`continue`), so memory stays flat as lists grow."""
    res = _kind(client, api_version, kind)
    with translated(), _first_decode(res):
        pages = _api(client).list(
            res,
            chunk_size=page_size,
            labels=dict(labels) if labels else None,
            fields=dict(fields) if fields else None,
        )
        for item in pages:
            yield _as_dict(item)


def patch(
    client: Client,
    api_version: str,
    kind: str,
    name: str,
    change: Mapping[str, Any],
    *,
    namespace: str | None = None,
    strategic: bool = False,
) -> dict[str, Any]:
    """A JSON merge patch (RFC 7386): keys set to None are removed. `strategic` makes it a
    strategic-merge patch: lists such as a pod's volumes merge by their key instead of being replaced."""
    res = _kind(client, api_version, kind)
    with translated(), _first_decode(res):
        return _as_dict(
            _api(client).patch(
                res,
                name,
                dict(change),
                namespace=namespace,
                patch_type=PatchType.STRATEGIC if strategic else PatchType.MERGE,
            )
        )


def delete(
    client: Client,
    api_version: str,
    kind: str,
    name: str,
    namespace: str | None = None,
    *,
    dry_run: bool = False,
) -> None:
    """Delete one object; `dry_run` asks the server to run admission (RBAC, policies) and persist nothing."""
    with translated():
        _api(client).delete(_kind(client, api_version, kind), name, namespace=namespace, dry_run=dry_run)


def wait_for(check: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.2) -> T:
    """Poll `check` until it returns something other than None; KubeError naming `what` on timeout.

    API errors inside `check` propagate: a check that expects absence should catch NotFoundError itself.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None:
            return result
        if time.monotonic() >= deadline:
            raise WaitTimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


def condition(obj: Mapping[str, Any], kind: str) -> str | None:
    """The status ("True"/"False"/"Unknown") of a condition type, or None if absent."""
    for cond in obj.get("status", {}).get("conditions") or []:
        if cond.get("type") == kind:
            return str(cond.get("status"))
    return None


def approve_csr(
    client: KubeClient, name: str, *, reason: str = "KbpApproved", message: str = ""
) -> dict[str, Any]:
    """Add an Approved condition through the CSR's approval subresource (the only way to approve)."""
    return _decide_csr(client, name, "Approved", reason, message or "approved by kbp")


def deny_csr(
    client: KubeClient, name: str, *, reason: str = "KbpDenied", message: str = ""
) -> dict[str, Any]:
    """Add a Denied condition through the approval subresource: the signer will never sign it."""
    return _decide_csr(client, name, "Denied", reason, message or "denied by kbp")


def _decide_csr(client: KubeClient, name: str, decision: str, reason: str, message: str) -> dict[str, Any]:
    with translated():
        csr = _as_dict(_api(client).get(CertificateSigningRequest, name))
        status = csr.setdefault("status", {})
        status["conditions"] = [
            *(status.get("conditions") or []),
            {"type": decision, "status": "True", "reason": reason, "message": message},
        ]
        approval = CertificateSigningRequestApproval.from_dict(csr)
        return _as_dict(_api(client).replace(approval, name))


def server_version(client: KubeClient) -> tuple[int, int]:
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


def whoami(client: KubeClient) -> dict[str, Any]:
    """The authenticated user as the server sees it (SelfSubjectReview): username, groups, extra."""
    review = create(client, {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    user: dict[str, Any] = review.get("status", {}).get("userInfo", {})
    return user


def can_i(
    client: KubeClient,
    *,
    verb: str,
    resource: str,
    group: str = "",
    namespace: str | None = None,
    name: str | None = None,
) -> bool:
    """Whether the caller may do this now (SelfSubjectAccessReview: every authenticated user may ask)."""
    attributes = _attributes(verb, resource, group, namespace)
    if name is not None:
        attributes["name"] = name
    spec = {"resourceAttributes": attributes}
    return _allowed(client, "SelfSubjectAccessReview", spec)


def can(
    client: KubeClient,
    *,
    user: str,
    groups: tuple[str, ...] = (),
    verb: str,
    resource: str,
    group: str = "",
    namespace: str | None = None,
) -> bool:
    """Whether the API server's authorizer allows `user` this action now (SubjectAccessReview)."""
    attributes = _attributes(verb, resource, group, namespace)
    spec = {"user": user, "groups": list(groups), "resourceAttributes": attributes}
    return _allowed(client, "SubjectAccessReview", spec)


def _attributes(verb: str, resource: str, group: str, namespace: str | None) -> dict[str, str]:
    attributes = {"verb": verb, "resource": resource, "group": group}
    if namespace is not None:
        attributes["namespace"] = namespace
    return attributes


def _allowed(client: KubeClient, kind: str, spec: Mapping[str, Any]) -> bool:
    review = create(client, {"apiVersion": "authorization.k8s.io/v1", "kind": kind, "spec": dict(spec)})
    return bool(review.get("status", {}).get("allowed"))


def pod_log(
    client: KubeClient, name: str, namespace: str, *, container: str, since_seconds: int, follow: bool
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
    client: KubeClient, service: tuple[str, str, str], path: str, params: Mapping[str, str]
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
            cls = {404: NotFoundError, 403: ForbiddenError}.get(resp.status_code, KubeError)
            raise cls(f"{url}: HTTP {resp.status_code}: {body}", resp.status_code)
        yield from resp.iter_lines()
