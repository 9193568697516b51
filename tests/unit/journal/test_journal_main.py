"""`python -m journal` refuses invalid settings before serving anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from journal.__main__ import main


def test_invalid_settings_exit_2_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JOURNAL_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv("JOURNAL_ENTRIES", "0")

    assert main() == 2

    error = capsys.readouterr().err
    assert error.startswith("error: invalid settings: JOURNAL_ENTRIES:")


@pytest.mark.parametrize(
    ("name", "url", "problem"),
    [
        pytest.param("REDIS_WRITE_URL", "redis://h:99999/0", "the port must be", id="port"),
        pytest.param("REDIS_READ_URL", "redis://h/abc", "the database must be", id="db"),
    ],
)
def test_a_bad_redis_url_exits_2_naming_the_setting(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    url: str,
    problem: str,
) -> None:
    monkeypatch.setenv("JOURNAL_CONFIG_DIR", str(tmp_path))
    monkeypatch.setenv(f"JOURNAL_{name}", url)

    assert main() == 2

    assert f"JOURNAL_{name}: Value error, {problem}" in capsys.readouterr().err
