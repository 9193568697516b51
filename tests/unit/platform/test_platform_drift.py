"""Deployed releases against pins: the verdicts `kbp cluster-services status` prints."""

from __future__ import annotations

import pytest

from kbp.platform import drift
from kbp.platform.drift import Deployed, State
from kbp.platform.releases import Release

PIN = Release(
    name="envoy-gateway", namespace="envoy-gateway-system", chart="envoyproxy/gateway-helm", version="v1.8.2"
)


def deployed(chart: str = "gateway-helm", version: str = "v1.8.2", status: str = "deployed") -> Deployed:
    return Deployed(PIN.name, PIN.namespace, chart, version, 3, status, "x")


@pytest.mark.parametrize(
    ("d", "enabled", "state", "reason"),
    [
        pytest.param(deployed(), True, State.in_sync, "", id="in-sync"),
        pytest.param(deployed(version="1.8.2"), True, State.in_sync, "", id="v-prefix-ignored"),
        pytest.param(deployed(version="v1.9.0"), True, State.drifted, "v1.9.0 deployed, v1.8.2 pinned",
                     id="upgraded-by-hand"),
        pytest.param(deployed("other"), True, State.drifted, "chart other deployed", id="other-chart"),
        pytest.param(deployed(status="pending-upgrade"), True, State.failed, "pending-upgrade", id="pending"),
        pytest.param(None, True, State.missing, "not installed", id="missing"),
        pytest.param(None, False, State.disabled, "switched off", id="disabled"),
        pytest.param(deployed(), False, State.drifted, "switched off", id="deployed-but-disabled"),
    ],
)  # fmt: skip
def test_compare(d: Deployed | None, enabled: bool, state: State, reason: str) -> None:
    verdict = drift.compare(PIN, d, enabled=enabled)
    assert verdict.state is state
    assert reason in verdict.reason
    assert verdict.as_item()["state"] == state.value
