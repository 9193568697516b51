"""The parts fit together on their defaults: the journal chart, rendered with each values file, meets
the cluster services of its environment (helmfile renders the real helmfile's local releases), the
Gateway `kbp cluster up` creates, the reaper's chart and the pipeline that pushes their images."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from kbp.cluster import binaries, gateway
from kbp.release.tags import project_version
from support.charts import DEV, PROD, Helm, find_helm, one

pytestmark = pytest.mark.helm
REPO = Path(__file__).parents[2]
SERVICES = REPO / "deploy" / "cluster-services"
REAPER = REPO / "deploy" / "reaper"
PIPELINE = REPO / ".github" / "workflows" / "ci.yml"
ENVIRONMENTS = [pytest.param("dev", DEV, id="dev"), pytest.param("prod", PROD, id="prod")]
PUSHED_TAG = re.compile(
    r"\$\{\{ steps\.tag\.outputs\.registry \}\}/([a-z0-9-]+):\$\{\{ steps\.tag\.outputs\.tag \}\}"
)
SEMVER_SHA8 = re.compile(r"^v(?P<version>\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)-(?P<sha>[0-9a-f]{8})$")


@pytest.fixture(scope="module")
def helm(tmp_path_factory: pytest.TempPathFactory) -> Helm:
    return find_helm(tmp_path_factory.mktemp("helm-home"))


def release_namespaces() -> dict[str, str]:
    """Release name -> namespace, from the real helmfile."""
    [_, doc] = yaml.safe_load_all((SERVICES / "helmfile.yaml").read_text())
    return {r["name"]: r["namespace"] for r in doc["releases"]}


@cache
def services(environment: str) -> tuple[dict[str, Any], ...]:
    """The real helmfile's local releases (edge, cluster-issuers) for an environment, each object
    given the namespace of its release (helm template leaves it out)."""
    bins = binaries.resolve()
    namespaces = release_namespaces()
    objects: list[dict[str, Any]] = []
    for release in ("edge", "cluster-issuers"):
        argv = [str(bins / "helmfile"), "--file", str(SERVICES / "helmfile.yaml"), "-e", environment]
        argv += ["--helm-binary", str(bins / "helm"), "--skip-deps", "-l", f"name={release}"]
        argv += ["template", "--skip-tests"]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        assert out.returncode == 0, out.stderr
        for doc in yaml.safe_load_all(out.stdout):
            if doc:
                doc["metadata"].setdefault("namespace", namespaces[release])
                objects.append(doc)
    return tuple(objects)


def covers(listener_hostname: str | None, host: str) -> bool:
    """Gateway API hostname matching: a `*.` wildcard covers one or more labels in front."""
    if listener_hostname is None:
        return True
    if listener_hostname.startswith("*."):
        return host.endswith(listener_hostname[1:]) and host != listener_hostname[2:]
    return host == listener_hostname


def route_and_listener(
    chart: Sequence[dict[str, Any]], gateways: Sequence[dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    route = one(chart, "HTTPRoute", "journal")
    [parent] = route["spec"]["parentRefs"]
    found = [
        g
        for g in gateways
        if g["kind"] == "Gateway"
        and g["metadata"]["name"] == parent["name"]
        and g["metadata"]["namespace"] == parent["namespace"]
    ]
    have = [
        f"{g['metadata']['namespace']}/{g['metadata']['name']}" for g in gateways if g["kind"] == "Gateway"
    ]
    assert found, f"parentRef {parent['namespace']}/{parent['name']} names no Gateway; have {have}"
    listeners = {li["name"]: li for li in found[0]["spec"]["listeners"]}
    assert parent["sectionName"] in listeners, f"no listener {parent['sectionName']}: {sorted(listeners)}"
    return route, listeners[parent["sectionName"]]


@pytest.mark.parametrize(("environment", "values"), ENVIRONMENTS)
def test_the_route_attaches_to_the_edge_gateway_on_a_listener_covering_its_host(
    helm: Helm, environment: str, values: Path
) -> None:
    route, listener = route_and_listener(helm.template(values=(values,)), services(environment))
    for host in route["spec"]["hostnames"]:
        assert covers(listener.get("hostname"), host), f"{host} is not under {listener.get('hostname')}"


def test_the_default_values_attach_to_the_gateway_kbp_cluster_up_creates(helm: Helm) -> None:
    local = [{**o, "metadata": {"namespace": "", **o["metadata"]}} for o in gateway.edge_objects()]
    route, listener = route_and_listener(helm.template(values=(DEV,)), local)
    assert all(covers(listener["hostname"], h) for h in route["spec"]["hostnames"])
    route_and_listener(helm.template(), local)  # the chart's own defaults attach too


def test_kbp_cluster_up_creates_what_the_edge_release_creates_in_dev() -> None:
    rendered = {(o["kind"], o["metadata"]["name"]): o for o in services("dev")}
    for obj in gateway.edge_objects():
        if obj["kind"] == "Namespace":
            assert obj["metadata"]["name"] == release_namespaces()["edge"]
            continue
        theirs = rendered[(obj["kind"], obj["metadata"]["name"])]
        assert obj["metadata"].get("namespace", "") == theirs["metadata"].get("namespace", "") or (
            obj["kind"] in ("GatewayClass", "ClusterRole")
        )
        for key in ("spec", "rules"):
            assert obj.get(key) == theirs.get(key), f"{obj['kind']}/{obj['metadata']['name']} {key} differ"
        aggregate = {k: v for k, v in theirs["metadata"]["labels"].items() if k.startswith("rbac.")}
        assert aggregate.items() <= obj["metadata"]["labels"].items()


@pytest.mark.parametrize(("environment", "values"), ENVIRONMENTS)
def test_the_api_admits_the_gateway_prometheus_and_its_helm_test(
    helm: Helm, environment: str, values: Path
) -> None:
    chart = helm.template(values=(values,))
    namespaces = release_namespaces()
    test_pod = one(chart, "Pod", "journal-test-api")
    for policy_name, clients in [
        ("journal-api", {namespaces["envoy-gateway"], namespaces["kube-prometheus-stack"]}),
        ("journal-fileserver", {namespaces["envoy-gateway"]}),
    ]:
        policy = one(chart, "NetworkPolicy", policy_name)
        peers = [p for rule in policy["spec"]["ingress"] for p in rule["from"]]
        admitted = {
            p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            for p in peers
            if "namespaceSelector" in p
        }
        assert clients <= admitted, f"{policy_name} admits {admitted}, not {clients}"
    api_peers = [p for r in one(chart, "NetworkPolicy", "journal-api")["spec"]["ingress"] for p in r["from"]]
    pod_selectors = [p["podSelector"]["matchLabels"] for p in api_peers if "podSelector" in p]
    labels = test_pod["metadata"]["labels"]
    assert any(sel.items() <= labels.items() for sel in pod_selectors), "the helm test pod is shut out"


def test_the_prod_wildcard_certificate_is_issued_through_dns01() -> None:
    objects = services("prod")
    gateways = [o for o in objects if o["kind"] == "Gateway"]
    [public] = gateways
    issuer_name = public["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]
    issuer = next(o for o in objects if o["kind"] == "ClusterIssuer" and o["metadata"]["name"] == issuer_name)
    for listener in public["spec"]["listeners"]:
        hostname = listener.get("hostname", "")
        if not hostname.startswith("*."):
            continue
        zone = hostname[2:]
        dns01 = [
            s
            for s in issuer["spec"]["acme"]["solvers"]
            if "dns01" in s
            and any(zone == z or zone.endswith(f".{z}") for z in s.get("selector", {}).get("dnsZones", []))
        ]
        assert dns01, (
            f"{hostname}: Let's Encrypt issues wildcards only through DNS-01; {issuer_name} has none"
        )


def test_a_wildcard_without_a_dns01_zone_is_refused_with_the_key(tmp_path: Path) -> None:
    bins = binaries.resolve()
    no_zones = tmp_path / "no-zones.yaml"
    no_zones.write_text("issuers:\n  dns01:\n    zones: []\n")
    argv = [str(bins / "helmfile"), "--file", str(SERVICES / "helmfile.yaml"), "-e", "prod"]
    argv += ["--helm-binary", str(bins / "helm"), "--skip-deps", "-l", "name=cluster-issuers"]
    argv += ["--state-values-file", str(no_zones), "template", "--skip-tests"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode != 0
    assert "issuers.dns01.zones" in out.stderr, out.stderr


def pushed_images() -> dict[str, str]:
    """Image name -> Dockerfile, for every image the pipeline builds, and the registry it pushes to."""
    workflow = yaml.safe_load(PIPELINE.read_text())
    steps = workflow["jobs"]["images"]["steps"]
    [tag_step] = [s for s in steps if s.get("id") == "tag"]
    assert 'registry=ghcr.io/${GITHUB_REPOSITORY,,}"' in tag_step["run"]
    built = {}
    for step in steps:
        if str(step.get("uses", "")).startswith("docker/build-push-action@"):
            tags = step["with"]["tags"]
            match = PUSHED_TAG.fullmatch(tags)
            assert match, tags
            assert step["with"]["push"] == "${{ env.PUSH == 'true' }}"
            built[match.group(1)] = step["with"]["file"]
    return built


def test_the_pipeline_builds_every_image_the_repository_has() -> None:
    assert sorted(pushed_images().values()) == sorted(
        str(p.relative_to(REPO)) for p in (REPO / "images").glob("*/Dockerfile")
    )


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=False)


def version_at(sha: str) -> str | None:
    """What `kbp image tag` takes for a commit: the nearest v* tag, else pyproject's version."""
    described = git("describe", "--tags", "--abbrev=0", "--match", "v[0-9]*", sha)
    if described.returncode == 0:
        return described.stdout.strip().removeprefix("v")
    return project_version(git("show", f"{sha}:pyproject.toml").stdout)


def default_images(helm: Helm) -> dict[str, str]:
    """Where each default image comes from -> its reference, for the chart and the reaper."""
    chart = helm.template()
    reaper = [d for d in yaml.safe_load_all(helm.run("template", "kbp-reaper", str(REAPER)).stdout) if d]
    refs = {}
    for obj in [
        one(chart, "Deployment", "journal-api"),
        one(chart, "Deployment", "journal-fileserver"),
        one(reaper, "CronJob", "kbp-reaper"),
    ]:
        spec = (
            obj["spec"]["template"]["spec"]
            if obj["kind"] == "Deployment"
            else (obj["spec"]["jobTemplate"]["spec"]["template"]["spec"])
        )
        refs[f"{obj['kind']}/{obj['metadata']['name']}"] = spec["containers"][0]["image"]
    return refs


def test_the_default_images_are_what_the_pipeline_pushes_for_a_commit_of_main(helm: Helm) -> None:
    built = pushed_images()
    repositories = set()
    for where, ref in default_images(helm).items():
        name, _, tag = ref.partition("@")[0].rpartition(":")
        registry, owner, repo, image = name.split("/")
        assert registry == "ghcr.io", f"{where}: {ref} is not on ghcr.io"
        assert image in built, f"{where}: {ref}: the pipeline pushes only {sorted(built)}"
        repositories.add(f"{owner}/{repo}")
        match = SEMVER_SHA8.match(tag)
        assert match, f"{where}: tag {tag} is not v<semver>-<sha8>"
        commit = git("rev-parse", "--verify", f"{match['sha']}^{{commit}}")
        assert commit.returncode == 0, f"{where}: {tag} names no commit of this repository"
        sha = commit.stdout.strip()
        assert git("merge-base", "--is-ancestor", sha, "HEAD").returncode == 0, f"{where}: {sha} not on main"
        assert git("cat-file", "-e", f"{sha}:{built[image]}").returncode == 0, (
            f"{where}: {tag} is older than {built[image]}"
        )
        assert version_at(sha) == match["version"], f"{where}: {sha} is version {version_at(sha)}"
    assert len(repositories) == 1, f"defaults name several repositories: {repositories}"
