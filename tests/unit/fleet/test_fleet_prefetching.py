"""What `kbp fleet status` starts before Typer: taken only for the same file and selector."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kbp.fleet import prefetching

FLEET = (
    "apiVersion: kbp.dev/v1\nkind: Fleet\nservices: {enabled: false}\njournal: {enabled: false}\n"
    "clusters: [{name: a, kubeconfig: k, labels: {env: dev}},\n"
    "           {name: b, kubeconfig: k, labels: {env: prod}}]\n"
)


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        pytest.param([], None, (Path("deploy/fleet.yaml"), ""), id="defaults"),
        pytest.param([], "f.yaml", (Path("f.yaml"), ""), id="env"),
        pytest.param(["--fleet-file", "a.yaml", "-l", "env=dev"], "f.yaml", (Path("a.yaml"), "env=dev"),
                     id="flags"),
        pytest.param(["--fleet-file=a.yaml", "--selector=env in (a,b)"], None,
                     (Path("a.yaml"), "env in (a,b)"), id="equals"),
        pytest.param(["-l", "a=1", "-o", "json", "-l", "a=2"], None, (Path("deploy/fleet.yaml"), "a=2"),
                     id="last-wins"),
        pytest.param(["--fleet-file"], None, (Path(""), ""), id="no-value"),
    ],
)  # fmt: skip
def test_guess_finds_the_file_and_selector(
    argv: list[str], env: str | None, expected: tuple[Path, str]
) -> None:
    assert prefetching.guess(argv, env) == expected


def test_what_was_started_is_taken_once_and_only_for_the_same_file_and_selector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "fleet.yaml").write_text(FLEET)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(prefetching.FLEET_ENV, raising=False)
    prefetching.start(["--fleet-file", "fleet.yaml", "-l", "env=dev"])
    assert prefetching.take(tmp_path / "fleet.yaml", "env=prod") is None
    started = prefetching.take(tmp_path / "fleet.yaml", "env=dev")
    assert started is not None
    fleet, picked, _ = started
    assert [c.name for c in picked] == ["a"]
    assert fleet.path == Path("fleet.yaml")
    assert prefetching.take(tmp_path / "fleet.yaml", "env=dev") is None


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("clusters: [", id="bad-yaml"),
        pytest.param(FLEET.replace("labels", "lables"), id="unknown-key"),
    ],
)
def test_a_bad_file_starts_nothing_and_says_nothing(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "fleet.yaml").write_text(text)
    prefetching.start(["--fleet-file", str(tmp_path / "fleet.yaml")])
    assert prefetching.take(tmp_path / "fleet.yaml", "") is None
    assert capsys.readouterr() == ("", "")


SERVICES = (
    'repositories: [{name: repo, url: "https://charts.example"}]\n'
    "releases: [{name: notes, namespace: svc, chart: repo/notes, version: 0.3.0}]\n"
)
SLOW_TOOL = '#!/bin/sh\necho $$ >> "$(dirname "$0")/started"\nexec sleep 60\n'


def test_a_usage_error_exits_at_once_and_ends_the_processes_started_for_it(tmp_path: Path) -> None:
    """`helmfile list` starts before Typer parses argv; a usage error must neither wait for it nor
    leave it running."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("helm", "helmfile"):
        (bin_dir / tool).write_text(SLOW_TOOL)
        (bin_dir / tool).chmod(0o755)
    (tmp_path / "services.yaml").write_text(SERVICES)
    (tmp_path / "fleet.yaml").write_text(
        FLEET.replace("services: {enabled: false}", "services: {file: services.yaml, environment: default}")
    )
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop(prefetching.FLEET_ENV, None)
    argv = [sys.executable, "-m", "kbp", "fleet", "status", "--fleet-file", "fleet.yaml", "--no-such-flag"]
    # Well under the fake helmfile's 60 s: waiting for it would time out here.
    result = subprocess.run(
        argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 2, result.stderr
    assert "No such option: --no-such-flag" in result.stderr
    pids = [int(p) for p in (bin_dir / "started").read_text().split()]
    assert len(pids) == 1  # helmfile list, once for the one environment
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
