"""The services file's log stack: VictoriaLogs with vlagent by default, Loki with Alloy switchable."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kbp.platform import releases

REAL = Path(__file__).parents[3] / "deploy" / "cluster-services"


def test_the_log_releases_are_switched_by_one_environment_value_each() -> None:
    services = {r.name: r for r in releases.load(REAL).releases}
    assert services["logs"].chart == "./charts/logs"
    assert services["logs"].condition == "logs.victoriaLogs.enabled"
    assert services["loki"].condition == services["alloy"].condition == "logs.loki.enabled"


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_each_environment_runs_exactly_one_log_store(environment: str) -> None:
    logs = yaml.safe_load((REAL / "environments" / f"{environment}.yaml").read_text())["logs"]
    assert logs["victoriaLogs"]["enabled"] is True
    assert logs["loki"]["enabled"] is False


def test_the_local_chart_pins_the_release_the_build_makes() -> None:
    chart = yaml.safe_load((REAL / "charts" / "logs" / "Chart.yaml").read_text())
    values = yaml.safe_load((REAL / "charts" / "logs" / "values.yaml").read_text())
    gomod = (REAL.parents[1] / "testenv" / "observability" / "go.mod").read_text()
    version = chart["appVersion"]
    assert f"github.com/VictoriaMetrics/VictoriaLogs {version} " in gomod
    assert values["images"]["store"]["tag"] == values["images"]["collector"]["tag"] == version
