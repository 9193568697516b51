"""The chart's schema for config.settings and the journal's Settings agree on names, types and bounds.

kbp checks `kbp config set` against the chart's schema and may not import journal; this test may.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from journal.settings import Settings

CHART_SCHEMA = Path(__file__).parents[3] / "charts" / "journal" / "values.schema.json"
# Settings the deployment fixes (ports, URLs, paths) rather than the ConfigMap.
NOT_IN_CONFIGMAP = {
    "config_dir",
    "host",
    "port",
    "redis_write_url",
    "redis_read_url",
    "redis_password_file",
    "redis_ca_file",
    "sentinel_addresses",  # the topology, like the URLs: set by the chart's Sentinel mode
    "sentinel_master",
}
BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def chart_settings() -> dict[str, Any]:
    doc = json.loads(CHART_SCHEMA.read_text())
    props: dict[str, Any] = doc["properties"]["config"]["properties"]["settings"]["properties"]
    return props


def test_the_same_settings_are_configurable() -> None:
    journal = set(Settings.model_json_schema()["properties"]) - NOT_IN_CONFIGMAP
    assert set(chart_settings()) == journal


def test_types_enums_and_bounds_agree() -> None:
    journal = Settings.model_json_schema()["properties"]
    for name, chart in chart_settings().items():
        ours = journal[name]
        if "enum" in ours:
            assert chart.get("enum") == ours["enum"], name
            continue
        assert chart.get("type") == ours.get("type"), name
        for bound in BOUNDS:
            assert chart.get(bound) == ours.get(bound), f"{name}.{bound}"
