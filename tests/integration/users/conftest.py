"""Developers onboarded once per module with the real `kbp user add`, against the session's cluster."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kbp import kube
from support.controlplane import ControlPlane
from support.onboarding import Onboarded, onboard, unique


@pytest.fixture
def api(cluster: ControlPlane) -> Iterator[kube.KubeClient]:
    with cluster.client() as client:
        yield client


@pytest.fixture(scope="module")
def alice(cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Onboarded:
    return onboard(cluster, tmp_path_factory.mktemp("alice"), unique("alice"))


@pytest.fixture(scope="module")
def bob(cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Onboarded:
    return onboard(cluster, tmp_path_factory.mktemp("bob"), unique("bob"))
