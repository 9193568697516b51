"""The services file: pins checked before anything runs, install order from `needs`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kbp.platform import releases
from kbp.platform.errors import PinError

ROOT = Path(__file__).parents[3]
REAL = ROOT / "deploy" / "cluster-services"


def _file(*entries: str, repos: str = "repositories: [{name: r, url: https://charts.example.org}]") -> str:
    return f"{repos}\nreleases:\n" + "\n".join(entries)


def _release(name: str, version: str | None = "1.2.3", needs: str = "") -> str:
    pin = "" if version is None else f"\n    version: {version}"
    return f"  - name: {name}\n    namespace: ns\n    chart: r/{name}{pin}{needs}"


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        pytest.param("1.2.3", None, id="exact"),
        pytest.param("v1.19.1", None, id="leading-v"),
        pytest.param("1.0.0-rc.1+build.5", None, id="prerelease-build"),
        pytest.param(None, "has no version", id="missing"),
        pytest.param("", "has no version", id="empty"),
        pytest.param("latest", "which moves", id="latest"),
        pytest.param("^1.2.0", "a range", id="caret"),
        pytest.param("~1.2", "a range", id="tilde"),
        pytest.param(">=1.0.0 <2.0.0", "a range", id="comparison"),
        pytest.param("1.x", "a range", id="x-wildcard"),
        pytest.param("*", "which moves", id="star"),
        pytest.param("1.2", "not an exact", id="partial"),
        pytest.param(1.2, "not an exact", id="yaml-float"),
        pytest.param("{{ .Values.v }}", "templated", id="templated"),
    ],
)
def test_version_problem(version: object, expected: str | None) -> None:
    problem = releases.version_problem(version)
    assert (problem is None) if expected is None else (expected in (problem or ""))


@pytest.mark.parametrize("version", [None, '"latest"', '"~1.2"', '"^1.0.0"', '">=1"'])
def test_an_unpinned_release_is_refused_by_name(version: str | None) -> None:
    text = _file(_release("fine"), _release("loose", version))
    with pytest.raises(PinError, match='release "loose"'):
        releases.parse(text)


def test_install_order_follows_needs_then_file_order() -> None:
    text = _file(
        _release("app", needs="\n    needs: [ns/crds, db]"),
        _release("db"),
        _release("crds"),
        _release("other"),
    )
    order = [r.name for r in releases.parse(text).releases]
    assert order == ["db", "crds", "app", "other"]
    assert order.index("app") > max(order.index("db"), order.index("crds"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(_file(_release("a", needs="\n    needs: [a]")), "cycle", id="self-cycle"),
        pytest.param(_file(_release("a", needs="\n    needs: [x/b]")), 'needs "x/b"', id="unknown-need"),
        pytest.param(_file(_release("a"), _release("a")), "declared twice", id="duplicate"),
        pytest.param(_file(_release("a"), repos=""), "no declared repository", id="unknown-repo"),
        pytest.param("releases: {a: 1}", "must be a list", id="releases-not-list"),
        pytest.param("releases: []\n---\nreleases: []", "appears in two parts", id="key-in-two-parts"),
        pytest.param("- a\n- b", "expected YAML mappings", id="not-a-mapping"),
        pytest.param("releases: [\n", "not YAML", id="not-yaml"),
        pytest.param(_file("  - {name: '{{ .Values.n }}', namespace: ns, chart: r/x, version: 1.0.0}"),
                     "literal", id="templated-name"),
    ],
)  # fmt: skip
def test_malformed_files_are_refused(text: str, message: str) -> None:
    with pytest.raises(PinError, match=message):
        releases.parse(text)


def test_environments_may_sit_in_a_part_of_their_own() -> None:
    text = "environments: {dev: {}, prod: {}}\n---\n" + _file(_release("a"))
    services = releases.parse(text)
    assert services.environments == ("dev", "prod")
    assert [r.name for r in services.releases] == ["a"]


def test_environments_default_to_helmfiles_default() -> None:
    services = releases.parse(_file(_release("a")))
    assert services.environments == ("default",)
    with pytest.raises(PinError, match='unknown environment "dev"'):
        services.check_environment("dev")


def test_a_local_chart_must_carry_its_pinned_version(tmp_path: Path) -> None:
    chart = tmp_path / "charts" / "mine"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: mine\nversion: 0.2.0\n")
    text = "releases:\n  - {name: mine, namespace: ns, chart: ./charts/mine, version: 0.1.0}\n"
    (tmp_path / "helmfile.yaml").write_text(text)
    with pytest.raises(PinError, match=r'pins 0\.1\.0 but .*says "0\.2\.0"'):
        releases.load(tmp_path)
    (tmp_path / "helmfile.yaml").write_text(text.replace("0.1.0", "0.2.0"))
    assert releases.load(tmp_path).releases[0].version == "0.2.0"


# The real file: the services the platform promises, each at an exact version from a real source.


def test_the_real_file_pins_every_release() -> None:
    services = releases.load(REAL)
    assert services.environments == ("dev", "prod")
    for release in services.releases:
        assert releases.version_problem(release.version) is None, release.name


def test_the_real_file_covers_gateway_certificates_monitoring_and_logs_in_order() -> None:
    services = releases.load(REAL)
    charts = {r.name: r.chart for r in services.releases}
    assert charts["gateway-crds"] == "envoyproxy/gateway-crds-helm"
    assert charts["envoy-gateway"] == "envoyproxy/gateway-helm"
    assert charts["cert-manager"] == "jetstack/cert-manager"
    assert charts["kube-prometheus-stack"] == "prometheus-community/kube-prometheus-stack"
    assert charts["loki"] == "grafana/loki"
    assert charts["alloy"] == "grafana/alloy"
    assert not any("ingress-nginx" in c or "promtail" in c or "loki-stack" in c for c in charts.values())
    order = [r.name for r in services.releases]
    for first, then in [
        ("gateway-crds", "envoy-gateway"),
        ("cert-manager", "cluster-issuers"),
        ("loki", "alloy"),
    ]:
        assert order.index(first) < order.index(then)


def test_the_real_repositories_are_the_projects_own() -> None:
    [_, doc] = yaml.safe_load_all((REAL / "helmfile.yaml").read_text())
    urls = {r["name"]: (r["url"], bool(r.get("oci"))) for r in doc["repositories"]}
    assert urls == {
        "envoyproxy": ("docker.io/envoyproxy", True),
        "jetstack": ("https://charts.jetstack.io", False),
        "prometheus-community": ("ghcr.io/prometheus-community/charts", True),
        "grafana": ("https://grafana.github.io/helm-charts", False),
    }


def test_dev_issues_self_signed_and_prod_acme_certificates() -> None:
    env = {e: yaml.safe_load((REAL / "environments" / f"{e}.yaml").read_text()) for e in ("dev", "prod")}
    assert env["dev"]["issuers"] == {
        "selfSigned": True,
        "acme": False,
        "acmeEmail": "",
        "dns01": {"zones": [], "provider": {}},
    }
    assert env["prod"]["issuers"]["acme"] is True
    assert env["prod"]["issuers"]["selfSigned"] is False
    assert "@" in env["prod"]["issuers"]["acmeEmail"]
