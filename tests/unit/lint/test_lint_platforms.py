"""The pure parts the cross-release rules stand on: hostname matching, what a workflow pushes,
which releases a helmfile declares."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kbp.lint import helm, helmfiles, loader, pipelines, platforms
from kbp.lint.bundle import index
from kbp.lint.gateways import hostnames_intersect
from kbp.lint.rulebook import DEFAULT_TAG_FORMAT

WORKFLOW = Path(__file__).parents[3] / ".github" / "workflows" / "ci.yml"
TAGS = re.compile(DEFAULT_TAG_FORMAT)


@pytest.mark.parametrize(
    ("route", "listener", "covered"),
    [
        pytest.param("journal.example.org", "*.example.org", True, id="under-wildcard"),
        pytest.param("a.b.example.org", "*.example.org", True, id="any-depth"),
        pytest.param("example.org", "*.example.org", False, id="not-the-apex"),
        pytest.param("journal.example.com", "*.example.org", False, id="other-domain"),
        pytest.param("*.dev.example.org", "*.example.org", True, id="narrower-wildcard"),
        pytest.param("*.example.org", "journal.example.org", True, id="route-wildcard"),
        pytest.param("Journal.Example.org", "journal.example.org", True, id="case"),
        pytest.param("journal.example.org", None, True, id="listener-without-host"),
        pytest.param("notexample.org", "*.example.org", False, id="label-boundary"),
    ],
)
def test_hostnames_intersect(route: str, listener: str | None, covered: bool) -> None:
    assert hostnames_intersect(route, listener) is covered


def _pushes(text: str) -> list[pipelines.Push]:
    _, parts, errors = loader.load_all(text, "ci.yml")
    assert errors == []
    return list(pipelines.pushes(parts[0], TAGS))


def test_the_repository_workflow_pushes_its_images_by_owner_repo_and_kbp_image_tag() -> None:
    pushes = _pushes(WORKFLOW.read_text())
    assert pushes, "the workflow pushes images"
    api = next(p for p in pushes if p.shown.endswith("journal-api:<kbp image tag>"))
    assert api.shown == "ghcr.io/<owner>/<repo>/journal-api:<kbp image tag>"
    assert api.matches_repository("ghcr.io/kbp/kbp/journal-api")
    assert not api.matches_repository("ghcr.io/kbp/journal-api")  # GITHUB_REPOSITORY is owner/name
    assert not api.matches_repository("ghcr.io/Kbp/kbp/journal-api")  # lower-cased by ${…,,}
    assert api.matches_tag("v0.1.0-2f287d70")
    assert not api.matches_tag("v0.1.0")


def test_env_needs_and_unknown_expressions() -> None:
    text = """\
on: push
env:
  REGISTRY: registry.example.com/team
jobs:
  tag:
    runs-on: ubuntu-24.04
    outputs:
      version: ${{ steps.v.outputs.version }}
    steps:
      - id: v
        run: echo "version=1.$GITHUB_RUN_NUMBER" >> $GITHUB_OUTPUT
  build:
    needs: tag
    runs-on: ubuntu-24.04
    steps:
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: |
            ${{ env.REGISTRY }}/app:${{ needs.tag.outputs.version }}
            ${{ env.REGISTRY }}/app:${{ inputs.channel }}
      - uses: docker/build-push-action@v6
        with:
          tags: registry.example.com/team/not-pushed:1
"""
    versioned, channel = _pushes(text)
    assert versioned.matches_repository("registry.example.com/team/app")
    assert versioned.matches_tag("1.42")
    assert not versioned.matches_tag("2.42")
    assert channel.matches_tag("anything")  # an input cannot be followed: it matches anything


def test_helmfile_releases_are_declared_with_their_entries() -> None:
    text = """\
environments: {dev: {}}
---
releases:
  - {name: envoy-gateway, namespace: envoy-gateway-system, chart: envoyproxy/gateway-helm, version: v1.8.2}
  - {name: off, namespace: x, chart: ./charts/off, version: 0.1.0, installed: false}
  - {name: "{{ .Values.name }}", namespace: y, chart: ./charts/y, version: 0.1.0}
"""
    _, parts, errors = loader.load_all(text, "helmfile.yaml")
    assert errors == []
    platform = platforms.build(index([]), parts, TAGS)
    [declared] = platform.releases
    assert (declared.release.name, declared.release.namespace, declared.release.chart) == (
        "envoy-gateway",
        "envoy-gateway-system",
        "gateway-helm",
    )
    assert declared.entry is not None
    assert declared.entry.document.locate(declared.entry.path) == (4, 5)
    assert platform.namespaces == {"envoy-gateway-system"}


def test_a_helmfile_provides_the_apis_its_well_known_charts_install(tmp_path: Path) -> None:
    (tmp_path / "helmfile.yaml").write_text(
        "releases:\n"
        "  - {name: kps, namespace: monitoring, chart: prometheus-community/kube-prometheus-stack}\n"
        "  - {name: edge, namespace: e, chart: ./charts/edge}\n"
    )
    apis = helmfiles.provided_apis(tmp_path)
    assert "monitoring.coreos.com/v1/ServiceMonitor" in apis
    assert not [a for a in apis if not a.startswith("monitoring.coreos.com/")]
    cmd = helm.template_command(
        "helm", Path("c"), values=(), sets=(), release="r", namespace=None, api_versions=apis[:1]
    )
    assert cmd[-2:] == ["--api-versions", apis[0]]
