"""NGINX's workers never run as root, even when kbp does; they still serve the UI and the API."""

from __future__ import annotations

import os
from pathlib import Path

from support.localstack import LocalStack


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def effective_uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[2])
    raise AssertionError(f"no Uid line for {pid}")


def test_nginx_workers_are_unprivileged_and_serve(local_stack: LocalStack) -> None:
    master = local_stack.states()["nginx"].pid
    workers = children(master)
    assert workers, "the NGINX master has no workers"
    for worker in workers:
        assert effective_uid(worker) != 0
        if os.geteuid() != 0:
            assert effective_uid(worker) == os.geteuid()
    with local_stack.client() as client:
        assert client.get("/").status_code == 200
        assert client.get("/api").status_code == 200
    # The state tree, with the password, stays closed: the workers read their own copy of the UI.
    assert local_stack.options.state_dir.stat().st_mode & 0o077 == 0
