"""kbp.goenv: the Go programs kbp starts get kbp's GOGC unless the caller chose how Go collects."""

from __future__ import annotations

import pytest

from kbp.goenv import GOGC, go_env


def test_sets_gogc_and_keeps_the_rest() -> None:
    env = go_env({"PATH": "/usr/bin", "KUBECONFIG": "/k"})
    assert env == {"PATH": "/usr/bin", "KUBECONFIG": "/k", "GOGC": GOGC}


def test_keeps_the_callers_gogc() -> None:
    assert go_env({"GOGC": "off"})["GOGC"] == "off"


def test_a_memory_limit_of_the_callers_is_left_to_govern() -> None:
    assert "GOGC" not in go_env({"GOMEMLIMIT": "512MiB"})


def test_copies_and_defaults_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KBP_GOENV_PROBE", "1")
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    env = go_env()
    assert env["KBP_GOENV_PROBE"] == "1"
    assert env["GOGC"] == GOGC
    env["X"] = "y"
    assert "X" not in go_env()
