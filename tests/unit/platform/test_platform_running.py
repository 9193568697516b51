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
