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
