"""The cache of last good answers: private, one newest answer per cluster, bounded in size."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kbp.fleet import answers

NOW = datetime(2026, 1, 1, tzinfo=UTC)
FLEET = ("dev", "prod")


def answer(at: datetime, tag: str = "v1") -> dict[str, object]:
    return {"observedAt": at.isoformat(), "releases": [{"deployed": tag}]}


def test_an_answer_round_trips_privately(tmp_path: Path) -> None:
    answers.save(tmp_path / "c", "dev", answer(NOW), fleet=FLEET)
    assert answers.load(tmp_path / "c", "dev") == (answer(NOW), NOW)
    assert (tmp_path / "c" / "dev.json").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "c").stat().st_mode & 0o777 == 0o700
    assert answers.load(tmp_path / "c", "prod") is None


def test_a_cache_directory_found_readable_by_others_is_tightened(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir(mode=0o755)
    os.chmod(tmp_path / "c", 0o755)
    answers.save(tmp_path / "c", "dev", answer(NOW), fleet=FLEET)
    assert (tmp_path / "c").stat().st_mode & 0o777 == 0o700


def test_each_fleet_file_has_its_own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(answers.CACHE_ENV, str(tmp_path))
    assert answers.cache_dir(Path("/a/fleet.yaml")) != answers.cache_dir(Path("/b/fleet.yaml"))
    assert answers.cache_dir(Path("/a/fleet.yaml")).parent == tmp_path


def test_only_the_newest_answer_is_kept(tmp_path: Path) -> None:
    answers.save(tmp_path / "c", "dev", answer(NOW, "new"), fleet=FLEET)
    answers.save(tmp_path / "c", "dev", answer(NOW - timedelta(seconds=5), "old"), fleet=FLEET)
    assert answers.load(tmp_path / "c", "dev") == (answer(NOW, "new"), NOW)
    answers.save(tmp_path / "c", "dev", answer(NOW + timedelta(seconds=5), "newer"), fleet=FLEET)
    assert answers.load(tmp_path / "c", "dev") == (answer(NOW + timedelta(seconds=5), "newer"),
                                                   NOW + timedelta(seconds=5))  # fmt: skip
    assert sorted(p.name for p in (tmp_path / "c").iterdir() if p.suffix == ".json") == ["dev.json"]


def test_clusters_gone_from_the_fleet_and_a_killed_writers_files_are_removed(tmp_path: Path) -> None:
    answers.save(tmp_path / "c", "old", answer(NOW), fleet=("old", "dev"))
    (tmp_path / "c" / ".dev.abc123.json").write_text("{")
    answers.save(tmp_path / "c", "dev", answer(NOW), fleet=FLEET)
    assert sorted(p.name for p in (tmp_path / "c").iterdir() if p.suffix == ".json") == ["dev.json"]


def test_only_the_fleets_saved_to_last_keep_a_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(answers, "MAX_FLEETS", 2)
    monkeypatch.setenv(answers.CACHE_ENV, str(tmp_path))
    dirs = [answers.cache_dir(Path(f"/fleet-{i}.yaml")) for i in range(3)]
    for age, d in zip((300, 200, 100), dirs, strict=True):
        answers.save(d, "dev", answer(NOW), fleet=FLEET)
        os.utime(d, (NOW.timestamp() - age, NOW.timestamp() - age))
    (tmp_path / "not-ours").mkdir()
    answers.save(dirs[2], "prod", answer(NOW), fleet=FLEET)
    assert not dirs[0].exists()
    assert answers.load(dirs[1], "dev") is not None
    assert answers.load(dirs[2], "prod") is not None
    assert (tmp_path / "not-ours").is_dir()
