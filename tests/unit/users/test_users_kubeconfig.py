"""The kubeconfig is complete, reads back, and is never readable by others, even for a moment."""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path
from typing import Any

import yaml

from kbp.users import kubeconfig

ENDPOINT = kubeconfig.Endpoint(cluster="kbp-local", server="https://127.0.0.1:6443", ca_pem=b"CA PEM\n")


def _doc() -> dict[str, Any]:
    return kubeconfig.build(
        ENDPOINT, user="alice", namespace="dev-alice", cert_pem=b"CERT\n", key_pem=b"KEY\n"
    )


def test_build_embeds_everything_and_sets_the_namespace() -> None:
    doc = _doc()
    assert doc["current-context"] == "alice@kbp-local"
    (context,) = doc["contexts"]
    assert context["context"] == {"cluster": "kbp-local", "user": "alice", "namespace": "dev-alice"}
    creds = kubeconfig.parse(kubeconfig.render(doc))
    assert creds == kubeconfig.Credentials(
        user="alice",
        server="https://127.0.0.1:6443",
        ca_pem=b"CA PEM\n",
        cert_pem=b"CERT\n",
        key_pem=b"KEY\n",
        namespace="dev-alice",
    )


def test_parse_returns_none_for_other_files() -> None:
    assert kubeconfig.parse(b"just: text") is None
    assert kubeconfig.parse(b"\x00\xff") is None
    token_config = {
        "clusters": [{"name": "c", "cluster": {"server": "https://x"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }
    assert kubeconfig.parse(yaml.safe_dump(token_config).encode()) is None


def test_write_private_is_0600_and_replaces_atomically(tmp_path: Path) -> None:
    path = tmp_path / "alice.kubeconfig"
    path.write_bytes(b"old")
    os.chmod(path, 0o644)
    kubeconfig.write_private(path, b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["alice.kubeconfig"]  # no temporary file left


def test_no_file_in_the_directory_is_ever_group_or_world_readable(tmp_path: Path) -> None:
    """Watch the directory while writing many times: every file seen, temporary ones too, is 0600."""
    seen: set[int] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            for entry in os.scandir(tmp_path):
                with contextlib.suppress(FileNotFoundError):  # renamed away since scandir
                    seen.add(stat.S_IMODE(entry.stat().st_mode))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for i in range(200):
            kubeconfig.write_private(tmp_path / "k", b"x" * 10000 + str(i).encode())
    finally:
        done.set()
        watcher.join()
    assert seen == {0o600}


def test_the_oidc_kubeconfig_runs_the_plugin_and_holds_no_secret() -> None:
    from kbp.users.kubeconfig import Endpoint, build_exec  # noqa: PLC0415

    doc = build_exec(
        Endpoint("local", "https://127.0.0.1:6443", b"CA"),
        user="alice", namespace="dev-alice", issuer="https://dex.example", client_id="kbp",
        issuer_ca_pem="PEM",
    )  # fmt: skip
    (user,) = doc["users"]
    exec_spec = user["user"]["exec"]
    assert set(user["user"]) == {"exec"}
    assert exec_spec["command"] == "kbp"
    assert exec_spec["args"] == ["auth", "token", "--issuer=https://dex.example", "--client-id=kbp"]
    assert exec_spec["env"] == [{"name": "KBP_OIDC_CA_DATA", "value": "UEVN"}]
    assert doc["contexts"][0]["context"]["namespace"] == "dev-alice"
