"""Readiness waits: a deadline passed is told apart from a process that died (only the first is
helped by a longer --timeout), and `kbp cluster up` says which flag raises it."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kbp.cli.app import app
from kbp.cluster import binaries, launcher
from kbp.cluster.processes import Handle, proc_stat
from kbp.cluster.readiness import NotReadyError, wait


def _handle(pid: int, tmp_path: Path) -> Handle:
    stat = proc_stat(pid)
    assert stat is not None
    return Handle("etcd", pid, stat[1], tmp_path / "etcd.log")


def test_a_passed_deadline_is_a_timeout_naming_what_it_waited_for(tmp_path: Path) -> None:
    with pytest.raises(NotReadyError) as failed:
        wait(_handle(os.getpid(), tmp_path), lambda: False, "CRD x Established", time.monotonic())
    assert failed.value.timed_out
    assert str(failed.value) == "timed out waiting for CRD x Established"


def test_a_process_that_died_is_no_timeout(tmp_path: Path) -> None:
    proc = subprocess.Popen(["sleep", "30"])
    handle = _handle(proc.pid, tmp_path)
    proc.kill()
    proc.wait()
    with pytest.raises(NotReadyError) as failed:
        wait(handle, lambda: False, "etcd's health", time.monotonic() + 60)
    assert not failed.value.timed_out
    assert str(failed.value) == "etcd exited before etcd's health"


def _up_failing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, error: launcher.StartError) -> str:
    def up(*_: object, **__: object) -> None:
        raise error

    monkeypatch.setattr(binaries, "resolve", lambda _: tmp_path)
    monkeypatch.setattr(launcher, "up", up)
    result = CliRunner().invoke(app, ["cluster", "up", "--state-dir", str(tmp_path), "--timeout", "90"])
    assert result.exit_code == 1
    return result.stderr


def test_cluster_up_timing_out_names_the_flag_that_gives_it_longer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    message = "cluster start failed: timed out waiting for CRD x Established (the start's 90 s)"
    stderr = _up_failing(monkeypatch, tmp_path, launcher.StartError(message, timed_out=True))
    assert message in stderr
    assert "--timeout SECONDS (now 90)" in stderr


def test_cluster_up_failing_otherwise_suggests_no_longer_timeout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stderr = _up_failing(monkeypatch, tmp_path, launcher.StartError("cluster start failed: etcd exited"))
    assert "etcd exited" in stderr
    assert "--timeout" not in stderr
