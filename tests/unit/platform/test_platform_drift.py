"""Deployed releases against pins: the verdicts `kbp cluster-services status` prints."""

from __future__ import annotations

import json

import pytest

from kbp.platform import drift
from kbp.platform.drift import Deployed, State
from kbp.platform.errors import ToolError
from kbp.platform.releases import Release

PIN = Release(
    name="envoy-gateway", namespace="envoy-gateway-system", chart="envoyproxy/gateway-helm", version="v1.8.2"
)


def deployed(chart: str = "gateway-helm-v1.8.2", status: str = "deployed") -> Deployed:
    text = json.dumps(
        [{"name": PIN.name, "namespace": PIN.namespace, "revision": "3", "updated": "x", "status": status,
          "chart": chart, "app_version": "v1.8.2"}]
    )  # fmt: skip
    return drift.parse_helm_list(text)[PIN.key]


@pytest.mark.parametrize(
    ("chart", "expected"),
    [
        pytest.param("gateway-helm-v1.8.2", ("gateway-helm", "v1.8.2"), id="dashed-name"),
        pytest.param("svc-app-0.1.0-rc.1", ("svc-app", "0.1.0-rc.1"), id="prerelease"),
        pytest.param("loki-6.55.0", ("loki", "6.55.0"), id="plain"),
        pytest.param("weird", ("weird", ""), id="no-version"),
    ],
)
def test_split_chart(chart: str, expected: tuple[str, str]) -> None:
    assert drift.split_chart(chart) == expected


@pytest.mark.parametrize(
    ("d", "enabled", "state", "reason"),
    [
        pytest.param(deployed(), True, State.in_sync, "", id="in-sync"),
        pytest.param(deployed("gateway-helm-1.8.2"), True, State.in_sync, "", id="v-prefix-ignored"),
        pytest.param(deployed("gateway-helm-v1.9.0"), True, State.drifted, "v1.9.0 deployed, v1.8.2 pinned",
                     id="upgraded-by-hand"),
        pytest.param(deployed("other-v1.8.2"), True, State.drifted, "chart other deployed", id="other-chart"),
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


def test_helm_list_garbage_is_a_tool_error() -> None:
    with pytest.raises(ToolError, match="no JSON"):
        drift.parse_helm_list("Error: boom")
