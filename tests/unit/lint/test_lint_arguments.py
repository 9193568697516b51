"""The lint command line: several charts in one run, each with its own values and namespace."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbp.lint.arguments import parse
from kbp.lint.runner import Chart, Request


def test_options_apply_to_the_chart_before_them() -> None:
    request = parse(
        [
            "--helmfile", "deploy/cluster-services", "-e", "prod",
            "--chart", "charts/journal", "-f", "a.yaml", "-f", "b.yaml", "--set", "x=1",
            "--release-name", "journal", "-n", "journal",
            "--chart", "deploy/reaper", "-n", "kbp-system",
            ".github/workflows/ci.yml",
        ]
    )  # fmt: skip
    assert request == Request(
        paths=(".github/workflows/ci.yml",),
        charts=(
            Chart(Path("charts/journal"), (Path("a.yaml"), Path("b.yaml")), ("x=1",), "journal", "journal"),
            Chart(Path("deploy/reaper"), namespace="kbp-system"),
        ),
        helmfile=Path("deploy/cluster-services"),
        environment="prod",
    )


def test_options_before_the_first_chart_are_its_own() -> None:
    request = parse(["-f", "v.yaml", "-n", "dev", "--chart", "c", "--set", "k=v"])
    assert request is not None
    assert request.charts == (Chart(Path("c"), (Path("v.yaml"),), ("k=v",), "release", "dev"),)


def test_chart_options_without_a_chart_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        parse(["-f", "v.yaml", "deploy/"])
    assert exit_info.value.code == 2
    assert "apply to a --chart" in capsys.readouterr().err
