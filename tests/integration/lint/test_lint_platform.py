"""The whole platform, linted as one set with real renders: the cluster services of each
environment (helmfile), the journal with its values files, the reaper and the CI workflow. Any
finding at or above the repository's threshold fails, so a part whose defaults stop fitting
another's (a Gateway, a hostname, a namespace, an issuer, a ServiceMonitor, an image) fails here.

helm and helmfile are required (KBP_HELM / KBP_HELMFILE, PATH, or testenv/build.sh): without them
these tests fail, never skip.
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest

from kbp.lint import helm, helmfiles
from kbp.lint.runner import Chart, Request, Streams, run

pytestmark = pytest.mark.helm
ROOT = Path(__file__).parents[3]
JOURNAL = ROOT / "charts" / "journal"
SERVICES = ROOT / "deploy" / "cluster-services"


def platform(environment: str, journal_values: tuple[Path, ...]) -> Request:
    return Request(
        paths=(str(ROOT / ".github" / "workflows" / "ci.yml"),),
        charts=(
            Chart(JOURNAL, journal_values, release="journal", namespace="journal"),
            Chart(ROOT / "deploy" / "reaper", release="kbp-reaper", namespace="kbp-system"),
        ),
        helmfile=SERVICES,
        environment=environment,
        config=ROOT / "kbp-lint.yaml",
        output="json",
    )


def lint(request: Request) -> tuple[int, dict[str, object], str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(request, Streams(io.BytesIO(), out, err))
    return code, json.loads(out.getvalue() or "{}"), err.getvalue()


def test_helm_and_helmfile_are_available() -> None:
    assert Path(helm.find_helm()).exists()
    assert Path(helmfiles.find_helmfile()).exists()


@pytest.mark.parametrize(
    ("environment", "values"),
    [
        pytest.param("dev", (JOURNAL / "values-dev.yaml",), id="dev"),
        pytest.param("prod", (JOURNAL / "values-prod.yaml",), id="prod"),
        # values.yaml alone names the prod Gateway's hosts (exposure.host: journal.example.org).
        pytest.param("prod", (), id="defaults"),
    ],
)
def test_the_platform_fits_together(environment: str, values: tuple[Path, ...]) -> None:
    code, report, err = lint(platform(environment, values))
    failing = [
        f"{i['file']}:{i['line']}: {i['ruleId']}: {i['message']}"
        + "".join(f"; see {r['file']}:{r['line']} ({r['note']})" for r in i.get("related", []))
        for i in report.get("items", [])  # type: ignore[attr-defined]
        if i["severity"] != "info"
    ]
    assert (code, failing) == (0, []), err


def test_the_set_holds_every_part() -> None:
    """The renders really are in the run: the edge Gateway, the issuers, the journal, the reaper."""
    request = platform("prod", (JOURNAL / "values-prod.yaml",))
    out, err = io.StringIO(), io.StringIO()
    run(dataclasses.replace(request, output="junit"), Streams(io.BytesIO(), out, err))
    junit = out.getvalue()
    for part in (
        "Gateway/public",
        "ClusterIssuer/letsencrypt",
        "HTTPRoute/journal",
        "CronJob/kbp-reaper",
        "NetworkPolicy/journal-api",
        "helmfile",
        "workflow",
    ):
        assert part in junit, part


@pytest.mark.parametrize(
    ("environment", "sets", "rule", "here", "there"),
    [
        pytest.param(
            "prod", ("exposure.httproute.gateway.namespace=gateway-system",), "route-gateway-missing",
            "charts/journal/templates/exposure/httproute.yaml",
            "deploy/cluster-services/charts/edge/templates/gateway.yaml", id="gateway",
        ),
        pytest.param(
            "prod", ("exposure.host=journal.example.com",), "route-hostname-uncovered",
            "charts/journal/templates/exposure/httproute.yaml",
            "deploy/cluster-services/charts/edge/templates/gateway.yaml", id="hostname",
        ),
        pytest.param(
            "dev", ("networkPolicy.ingressNamespace=gateway-system",), "networkpolicy-blocks-client",
            "charts/journal/templates/frontend/networkpolicy.yaml",
            "deploy/cluster-services/helmfile.yaml", id="gateway-namespace",
        ),
        pytest.param(
            "dev", ("image.api.repository=ghcr.io/kbp/journal-api",), "image-not-pushed",
            "charts/journal/templates/frontend/deployment.yaml", ".github/workflows/ci.yml", id="image",
        ),
    ],
)  # fmt: skip
def test_a_value_that_stops_fitting_is_found_on_both_sides(
    environment: str, sets: tuple[str, ...], rule: str, here: str, there: str
) -> None:
    request = platform(environment, (JOURNAL / f"values-{environment}.yaml",))
    first = dataclasses.replace(request.charts[0], sets=sets)
    _, report, err = lint(dataclasses.replace(request, charts=(first, *request.charts[1:])))
    found = [i for i in report.get("items", []) if i["ruleId"] == rule]  # type: ignore[attr-defined]
    assert found, err
    assert any(i["file"] == str(ROOT / here) for i in found), found
    assert any(r["file"] == str(ROOT / there) and r["line"] > 0 for i in found for r in i["related"]), found
