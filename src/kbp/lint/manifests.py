"""Located Kubernetes objects and the pod-template accessors every workload rule shares."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from kbp.lint import images

Path = tuple[str | int, ...]
Position = tuple[int, int]

# Where each workload kind keeps its pod template; Pod is its own template.
TEMPLATE_PATHS: dict[str, Path] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
WORKLOADS = frozenset({*TEMPLATE_PATHS, "Pod"})  # kinds with a pod spec
# Kinds without a namespace that charts commonly render (the rest are namespaced).
CLUSTER_SCOPED = frozenset(
    {
        "Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "GatewayClass",
        "ClusterIssuer", "StorageClass", "PriorityClass", "PersistentVolume", "IngressClass",
        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration", "APIService", "RuntimeClass", "CSIDriver", "Node",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Release:
    """A Helm release: where its chart's objects land, and which chart it is."""

    name: str
    namespace: str
    chart: str  # the chart's name (`gateway-helm`), or its path for a local chart


class Locator(Protocol):
    def locate(self, path: Path) -> Position:
        """Line and column of the deepest existing field on ``path``."""
        ...


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object with the line/column of each of its fields."""

    source: str
    body: Mapping[str, Any]
    positions: Locator = field(repr=False, compare=False)
    base: Path = ()  # where the object sits inside its YAML document (items of a List)
    duplicates: tuple[Path, ...] = ()
    release: Release | None = None  # the Helm release it was rendered for, when lint rendered it

    # cached: rules ask for these thousands of times per run
    @cached_property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @cached_property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))

    @cached_property
    def metadata(self) -> Mapping[str, Any]:
        return as_map(self.body.get("metadata"))

    @cached_property
    def name(self) -> str:
        return str(self.metadata.get("name") or self.metadata.get("generateName") or "")

    @cached_property
    def namespace(self) -> str | None:
        """metadata.namespace, else the release's: helm installs a chart's objects there."""
        ns = self.metadata.get("namespace")
        if ns:
            return str(ns)
        if self.release is not None and self.kind not in CLUSTER_SCOPED:
            return self.release.namespace
        return None

    def locate(self, path: Path) -> Position:
        """Line and column of the deepest existing field on ``path``."""
        return self.positions.locate(self.base + path)

    def get(self, path: Path) -> Any:
        return dig(self.body, path)


@dataclass(frozen=True)
class Container:
    path: Path
    body: Mapping[str, Any]
    init: bool

    @property
    def name(self) -> str:
        return str(self.body.get("name", ""))


def as_map(value: Any) -> Mapping[str, Any]:
    # dict, not the Mapping ABC: the loader only builds dicts and ABC checks are slow here
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def dig(value: Any, path: Path) -> Any:
    for key in path:
        if isinstance(key, int):
            if not isinstance(value, list) or key >= len(value):
                return None
        elif not isinstance(value, dict):
            return None
        value = value[key] if isinstance(key, int) else value.get(key)
    return value


def template_path(m: Manifest) -> Path | None:
    """Path to the pod template (``metadata`` + ``spec``) or None for non-workloads."""
    if m.kind == "Pod":
        return ()
    return TEMPLATE_PATHS.get(m.kind)


def pod_spec_path(m: Manifest) -> Path | None:
    base = template_path(m)
    return None if base is None else (*base, "spec")


def pod_spec(m: Manifest) -> Mapping[str, Any]:
    path = pod_spec_path(m)
    return {} if path is None else as_map(m.get(path))


def template_metadata(m: Manifest) -> Mapping[str, Any]:
    base = template_path(m)
    return {} if base is None else as_map(m.get((*base, "metadata")))


def containers(m: Manifest, *, include_init: bool = True) -> Iterator[Container]:
    spec_path = pod_spec_path(m)
    if spec_path is None:
        return
    spec = as_map(m.get(spec_path))
    for list_name in CONTAINER_LISTS:
        is_init = list_name != "containers"
        if is_init and not include_init:
            continue
        for index, body in enumerate(as_list(spec.get(list_name))):
            if isinstance(body, dict):
                yield Container((*spec_path, list_name, index), body, init=is_init)


def missing_resources(m: Manifest, section: str) -> Iterator[tuple[Container, list[str], Path]]:
    """Containers whose `resources.<section>` (requests or limits) lacks cpu or memory.

    Each comes with the missing names and the deepest path that exists, for the finding's line.
    """
    for c in containers(m):
        resources = as_map(c.body.get("resources"))
        have = as_map(resources.get(section))
        missing = [r for r in ("cpu", "memory") if r not in have]
        if missing:
            if have:
                yield c, missing, (*c.path, "resources", section)
            else:
                yield c, missing, (*c.path, "resources") if resources else c.path


def container_images(m: Manifest) -> Iterator[tuple[Container, str, images.ImageRef]]:
    """Each container whose image is a valid reference, with the string and its parse.

    Containers with a missing or invalid image are left to image-invalid.
    """
    for c in containers(m):
        image = c.body.get("image")
        if not isinstance(image, str):
            continue
        try:
            yield c, image, images.parse(image)
        except ValueError:
            continue


def label_map(meta: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in as_map(meta.get("labels")).items()}


def annotation_map(meta: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in as_map(meta.get("annotations")).items()}


def field_name(body: Mapping[str, Any], path: Path) -> str:
    """Readable, index-free field path: list items with a ``name`` are shown by name."""
    out: list[str] = []
    value: Any = body
    for key in path:
        if isinstance(key, int):
            item = value[key] if isinstance(value, list) and key < len(value) else None
            named = isinstance(item, dict) and isinstance(item.get("name"), str)
            out.append(f"[{item['name']}]" if named and item is not None else f"[{key}]")
            value = item
        else:
            out.append(f".{key}" if out else str(key))
            value = value.get(key) if isinstance(value, dict) else None
    return "".join(out)
