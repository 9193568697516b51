"""The Kubernetes boundary: the only package that imports lightkube.

Callers pass and receive plain dicts (manifests as they appear in YAML) and catch `KubeError`;
nothing lightkube-specific leaks out, so the client library can change behind this package.
Callers use this module's names (`kube.apply`, `kube.KubeError`); the modules behind it are:

- `kubeconfigs`: a client for a kubeconfig context, the namespace it sets;
- `servers`: where a context points (URL, CA), the server's version;
- `objects`: server-side apply, create, get, find, list, patch, delete;
- `waiting`: poll until something holds; an object's conditions;
- `reviews`: who the caller is, what a user may do; `csrs`: approve or deny a CSR;
- `streams`: a container's log, a Service's endpoint through the API server's proxy;
- `kinds`, `decoding`: lightkube's resource classes, and msgspec's thread-unsafe first decode.

The exception tree (`errors`):

    KubeError            an API call failed; `status` is the HTTP status (0: unreachable)
    ├── NotFoundError    HTTP 404
    ├── ForbiddenError   HTTP 403
    └── WaitTimeoutError `wait_for` gave up
"""

from __future__ import annotations

from kbp.kube.csrs import approve_csr, deny_csr
from kbp.kube.errors import ForbiddenError, KubeError, NotFoundError, WaitTimeoutError, translated
from kbp.kube.kubeconfigs import FIELD_MANAGER, KubeClient, connect, context_namespace
from kbp.kube.objects import apply, create, delete, find, get, iter_objects, list_objects, patch
from kbp.kube.reviews import can, can_i, whoami
from kbp.kube.servers import Server, server, server_version
from kbp.kube.streams import pod_log, service_proxy_lines
from kbp.kube.waiting import condition, wait_for

__all__ = [
    "FIELD_MANAGER",
    "ForbiddenError",
    "KubeClient",
    "KubeError",
    "NotFoundError",
    "Server",
    "WaitTimeoutError",
    "apply",
    "approve_csr",
    "can",
    "can_i",
    "condition",
    "connect",
    "context_namespace",
    "create",
    "delete",
    "deny_csr",
    "find",
    "get",
    "iter_objects",
    "list_objects",
    "patch",
    "pod_log",
    "server",
    "server_version",
    "service_proxy_lines",
    "translated",
    "wait_for",
    "whoami",
]
