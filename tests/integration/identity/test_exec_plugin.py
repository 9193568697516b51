"""The kubeconfig `kbp user add --oidc` writes, end to end through kubectl and `kbp auth token`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from kbp.auth import credentials
from support import dex as dexes
from support.controlplane import ControlPlane
from support.dex import Dex
from support.oidc import ISSUER, auth_config, ca_file
from support.onboarding import kbp, unique


@pytest.fixture
def setup(cluster: ControlPlane, trusted_dex: Dex, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    out = tmp_path / "alice.kubeconfig"
    args = [
        "user",
        "add",
        unique("alice"),
        "--oidc",
        ISSUER,
        "--identity",
        dexes.ALICE.email,
        "--team",
        "payments",
    ]
    kbp(cluster, *args, "--out", str(out), *auth_config(cluster))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",  # `kbp` for kubectl
        "KUBECONFIG": str(out),
        credentials.CACHE_ENV: str(tmp_path / "cache"),
    }
    return out, env


def _kubectl(cluster: ControlPlane, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(cluster.bin_dir / "kubectl"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _cache(env: dict[str, str]) -> dict[str, Any]:
    (path,) = Path(env[credentials.CACHE_ENV]).glob("*.json")
    doc: dict[str, Any] = json.loads(path.read_text())
    return doc


def test_the_kubeconfig_holds_no_secret(setup: tuple[Path, dict[str, str]]) -> None:
    out, _ = setup
    doc = yaml.safe_load(out.read_text())
    (user,) = doc["users"]
    assert set(user["user"]) == {"exec"}
    assert user["user"]["exec"]["command"] == "kbp"
    assert out.stat().st_mode & 0o077 == 0


def test_kubectl_logs_in_once_then_refreshes_when_the_id_token_expires(
    cluster: ControlPlane, trusted_dex: Dex, setup: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    _, env = setup
    login = ["auth", "login", "--issuer", trusted_dex.issuer, "--client-id", dexes.CLIENT_ID]
    login += ["--ca-file", str(ca_file(trusted_dex, tmp_path)), "--username", dexes.ALICE.email]
    subprocess.run(
        [sys.executable, "-m", "kbp", *login], env=env, input=dexes.ALICE.password + "\n", text=True,
        capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    first = _kubectl(cluster, env, "auth", "whoami", "-o", "json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["status"]["userInfo"]["username"] == f"{ISSUER}:{dexes.ALICE.email}"
    before = _cache(env)
    time.sleep(max(0.0, before["expires_at"] - time.time()) + 0.5)  # the ID token has expired now
    second = _kubectl(cluster, env, "auth", "whoami", "-o", "json")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["status"]["userInfo"]["username"] == f"{ISSUER}:{dexes.ALICE.email}"
    after = _cache(env)
    # No password was at hand: only the refresh token can have got the new ID token (Dex rotates it too).
    assert after["id_token"] != before["id_token"]
    assert after["refresh_token"] != before["refresh_token"]
    assert after["expires_at"] > before["expires_at"]


def test_with_nothing_cached_and_no_terminal_kubectl_fails_saying_how_to_log_in(
    cluster: ControlPlane, setup: tuple[Path, dict[str, str]]
) -> None:
    _, env = setup
    result = _kubectl(cluster, env, "get", "pods")
    assert result.returncode != 0
    assert "no cached token, and no one is at the terminal to log in; run `kbp auth login`" in result.stderr
