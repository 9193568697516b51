"""Settings checked against the chart's schema before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbp.release.schemas import SettingError, SettingsSchema, parse_assignments, typed_settings

CHART = Path(__file__).parents[3] / "charts" / "journal"


@pytest.fixture(scope="module")
def schema() -> SettingsSchema:
    return SettingsSchema.load(CHART)


def test_good_assignments_become_typed_values(schema: SettingsSchema) -> None:
    assert parse_assignments(
        ["entries=20", "LOG_LEVEL=debug", "redis_timeout_s=2.5", "max_body_bytes=1048576"], schema
    ) == {"entries": 20, "log_level": "debug", "redis_timeout_s": 2.5, "max_body_bytes": 1048576}


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        pytest.param("entires=20", "unknown setting 'entires'", id="unknown-key"),
        pytest.param("entries=0", "entries: 0 is out of range (must be at least 1)", id="below-minimum"),
        pytest.param("entries=101", "must be at most 100", id="above-maximum"),
        pytest.param("entries=ten", "entries: 'ten' is not an integer", id="not-an-integer"),
        pytest.param("entries=2.5", "is not an integer", id="float-for-integer"),
        pytest.param("redis_timeout_s=0", "must be more than 0", id="exclusive-minimum"),
        pytest.param("redis_timeout_s=nan", "is not a number", id="nan"),
        pytest.param("log_level=loud", "log_level: 'loud' is not one of debug, info", id="not-in-enum"),
        pytest.param("entries", "is not KEY=VALUE", id="no-equals"),
        pytest.param("=3", "is not KEY=VALUE", id="no-key"),
    ],
)
def test_bad_assignments_are_refused_by_name(schema: SettingsSchema, pair: str, message: str) -> None:
    with pytest.raises(SettingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_assignments([pair], schema)


def test_nothing_to_set_is_an_error(schema: SettingsSchema) -> None:
    with pytest.raises(SettingError, match="no settings given"):
        parse_assignments([], schema)


def test_live_configmap_strings_become_values_helm_validates(schema: SettingsSchema) -> None:
    assert typed_settings({"entries": "10", "redis_timeout_s": "2"}, schema) == {
        "entries": 10,
        "redis_timeout_s": 2,
    }


def test_a_schema_keyword_kbp_does_not_check_is_refused() -> None:
    doc = {"properties": {"config": {"properties": {"settings": {"properties": {"x": {"pattern": "^a"}}}}}}}
    with pytest.raises(SettingError, match=r"config.settings.x uses \['pattern'\]"):
        SettingsSchema.from_values_schema(doc)
