"""Session fixtures for integration tests: real services, started once, always torn down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.controlplane import ControlPlane, running


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """A real Kubernetes control plane (etcd, apiserver, KCM, scheduler, kwok nodes) for the session."""
    with running(tmp_path_factory.mktemp("cluster"), tmp_path_factory.mktemp("tools")) as plane:
        yield plane
