"""What `kbp fleet status` starts before Typer: taken only for the same file and selector."""

from __future__ import annotations

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
