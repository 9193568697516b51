"""What goes on helm's and helmfile's command lines: paths and names, never credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbp.platform import running
from kbp.platform.errors import ToolError


@pytest.mark.parametrize(
    ("kubeconfig", "context", "flags"),
    [
        pytest.param(None, None, [], id="defaults"),
        pytest.param(
            Path("/k/admin.kubeconfig"), None, ["--kubeconfig", "/k/admin.kubeconfig"], id="kubeconfig"
        ),
        pytest.param(
            Path("/k/c"),
            "prod",
            ["--kubeconfig", "/k/c", "--kube-context", "prod"],
            id="kubeconfig-and-context",
        ),
    ],
)
def test_cluster_flags_pass_the_kubeconfig_path_and_context_name(
    kubeconfig: Path | None, context: str | None, flags: list[str]
) -> None:
    assert (
        running.Target(Path("/bin/helmfile"), Path("/bin/helm"), kubeconfig, context).cluster_flags() == flags
    )


def test_a_missing_tool_names_itself_and_the_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ToolError, match=r"helmfile not found on PATH; `bash testenv/build.sh`"):
        running.target()


def _target(timeout_s: float = 30.0) -> running.Target:
    return running.Target(Path("/bin/helmfile"), Path("/bin/helm"), timeout_s=timeout_s)


def test_a_started_tool_gives_its_whole_output_when_asked() -> None:
    started = running.Running(["sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x"], _target())
    assert started.output() == "x" * 300000  # more than a pipe holds: read while it runs


def test_a_failed_tool_names_itself_its_exit_and_its_output() -> None:
    started = running.Running(["sh", "-c", "echo no such release >&2; exit 3"], _target())
    with pytest.raises(
        ToolError, match=r"sh -c echo no such release >&2; exit 3 failed \(exit 3\):\nno such release"
    ):
        started.output()


def test_a_tool_past_its_timeout_is_killed_and_says_so() -> None:
    started = running.Running(["sleep", "60"], _target(timeout_s=0.2))
    with pytest.raises(ToolError, match=r"sleep 60 did not finish in 0s"):
        started.output()


def test_stop_ends_a_tool_still_running() -> None:
    started = running.Running(["sleep", "60"], _target())
    started.stop()
    with pytest.raises(ToolError, match=r"exit -9"):
        started.output()
