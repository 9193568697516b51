"""Fixtures for namespace and reaper tests: an admin client and namespaces that always go away."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from kbp import kube, metadata
from kbp.namespaces import catalog
from kbp.namespaces.manifests import NamespaceSpec, namespace_manifest
from support.controlplane import ControlPlane
from support.namespaces import MakeNamespace


@pytest.fixture
def api(cluster: ControlPlane) -> Iterator[kube.KubeClient]:
    with cluster.client() as client:
        yield client


@pytest.fixture
def prefix() -> str:
    """Names of this test's own namespaces start with it; reaps in tests protect every other name."""
    return f"t{secrets.token_hex(3)}-"


@pytest.fixture
def make_namespace(api: kube.KubeClient, prefix: str) -> Iterator[MakeNamespace]:
    """`make_namespace("a", ttl="7d", managed=True, ...)` creates `<prefix>a`; all are removed afterwards,
    finalizers included (a test may hold one to keep a namespace Terminating; the reaper never does)."""
    made: list[str] = []

    def make(
        suffix: str,
        *,
        ttl: str | None = None,
        expires: str | None = None,
        managed: bool = True,
        finalizers: tuple[str, ...] = (),
    ) -> str:
        name = prefix + suffix
        manifest: dict[str, Any] = namespace_manifest(
            NamespaceSpec(name=name, owner="tester", team="qa", purpose="test", ttl=ttl, expires=expires),
            version=catalog.pod_security_version(api),
        )
        if not managed:
            del manifest["metadata"]["labels"][metadata.MANAGED_BY]
        if finalizers:
            manifest["metadata"]["finalizers"] = list(finalizers)
        kube.create(api, manifest)
        made.append(name)
        return name

    yield make
    for name in made:
        current = kube.find(api, "v1", "Namespace", name)
        if current is None:
            continue
        if current["metadata"].get("finalizers"):
            kube.patch(api, "v1", "Namespace", name, {"metadata": {"finalizers": None}})
        if not current["metadata"].get("deletionTimestamp"):
            kube.delete(api, "v1", "Namespace", name)
