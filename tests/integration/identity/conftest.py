"""Dex issuers and the session cluster's AuthenticationConfiguration, for the OIDC tests.

`dex` is trusted by the cluster (added with the real `kbp auth oidc add`, with a CEL rule that
admits only @example.com); `other_dex` runs beside it and is trusted by no one until a test adds it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from kbp import kube
from support import dex as dexes
from support.controlplane import ControlPlane
from support.dex import Dex
from support.oidc import ISSUER, RULE, Whoami, auth_config, wait_accepted
from support.onboarding import kbp


@pytest.fixture(scope="session")
def dex(cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dex]:
    with dexes.running(cluster.bin_dir, tmp_path_factory.mktemp("dex")) as issuer:
        yield issuer


@pytest.fixture(scope="session")
def other_dex(cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dex]:
    with dexes.running(cluster.bin_dir, tmp_path_factory.mktemp("other-dex")) as issuer:
        yield issuer


@pytest.fixture(scope="session")
def whoami(cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Whoami:
    """SelfSubjectReview with a bearer token: the user info, or KubeError (401) if refused."""
    directory = tmp_path_factory.mktemp("tokens")
    counter = itertools.count()

    def review(token: str) -> dict[str, Any]:
        path = dexes.token_kubeconfig(cluster.server, cluster.ca, token, directory / f"{next(counter)}.yaml")
        with kube.connect(path) as client:
            return kube.whoami(client)

    return review


@pytest.fixture(scope="session")
def trusted_dex(
    cluster: ControlPlane, dex: Dex, whoami: Whoami, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dex]:
    """`dex` in the cluster's AuthenticationConfiguration, accepted by the API server."""
    ca = tmp_path_factory.mktemp("dex-ca") / "ca.pem"
    ca.write_text(dex.ca_pem)
    kbp(
        cluster, "auth", "oidc", "add", ISSUER, "--preset", "dex", "--issuer", dex.issuer,
        "--client-id", dexes.CLIENT_ID, "--ca-file", str(ca), "--rule", RULE, *auth_config(cluster),
    )  # fmt: skip
    wait_accepted(whoami, lambda: dex.password_token(dexes.ALICE).id_token)
    yield dex
    kbp(cluster, "auth", "oidc", "remove", ISSUER, *auth_config(cluster))
