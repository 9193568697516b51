"""A helmfile's releases as lint inputs: the file itself (which release goes where) and the
rendered objects of its local charts, each named after its template and tagged with its release.

Charts from repositories are not rendered: they are upstream's, and fetching them needs the
network. They still count as releases of the set (their namespaces and charts are known), which
is what the cross-release rules need of them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from kbp.lint import helm
from kbp.lint.errors import HelmError
from kbp.lint.manifests import Release
from kbp.lint.sources import Source, decode

HELMFILE_ENV = "KBP_HELMFILE"
RENDER_TIMEOUT_S = 300
# The APIs (`.Capabilities.APIVersions` entries) that well-known charts install as CRDs, so a chart
# linted with the helmfile renders what it would on that cluster (a ServiceMonitor, an HTTPRoute).
CHART_APIS: dict[str, tuple[str, ...]] = {
    "kube-prometheus-stack": tuple(
        f"monitoring.coreos.com/v1{kind}"
        for kind in ("", "/ServiceMonitor", "/PodMonitor", "/PrometheusRule", "/Prometheus", "/Alertmanager")
    ),
    "gateway-crds-helm": tuple(
        f"gateway.networking.k8s.io/v1{kind}"
        for kind in ("", "/Gateway", "/GatewayClass", "/HTTPRoute", "/GRPCRoute")
    ),
    "gateway-helm": ("gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1/HTTPRoute"),
    "cert-manager": tuple(
        f"cert-manager.io/v1{kind}" for kind in ("", "/Certificate", "/Issuer", "/ClusterIssuer")
    ),
}


def find_helmfile() -> str:
    return helm.find_tool("helmfile", HELMFILE_ENV, "https://helmfile.readthedocs.io/")


def _state(file: Path) -> dict[str, object]:
    try:
        parts = [p for p in yaml.safe_load_all(file.read_text()) if isinstance(p, dict)]
    except (OSError, yaml.YAMLError) as err:
        raise HelmError(f"{file}: cannot read it as a helmfile: {err}") from None
    return {k: v for part in parts for k, v in part.items()}


def provided_apis(path: Path) -> tuple[str, ...]:
    """The APIs the file's releases of well-known charts install (CHART_APIS)."""
    file = path / "helmfile.yaml" if path.is_dir() else path
    releases = _state(file).get("releases")
    charts = (
        [str(r.get("chart", "")) for r in releases if isinstance(r, dict)]
        if isinstance(releases, list)
        else []
    )
    return tuple(api for chart in charts for api in CHART_APIS.get(chart.rstrip("/").rsplit("/", 1)[-1], ()))


def _local_releases(file: Path, environment: str) -> list[tuple[Release, Path]]:
    """Each local-chart release with its chart directory; refuses an undeclared environment."""
    doc = _state(file)
    environments = doc.get("environments")
    declared = list(environments) if isinstance(environments, dict) and environments else ["default"]
    if environment not in declared:
        raise HelmError(f"{file}: no environment {environment!r} (declared: {', '.join(declared)})")
    out: list[tuple[Release, Path]] = []
    releases = doc.get("releases")
    for entry in releases if isinstance(releases, list) else []:
        chart = str(entry.get("chart", "")) if isinstance(entry, dict) else ""
        if chart.startswith(("./", "../", "/")) and entry.get("installed") is not False:
            directory = (file.parent / chart).resolve()
            out.append(
                (Release(str(entry["name"]), str(entry["namespace"]), directory.name), file.parent / chart)
            )
    return out


def _command(
    tools: tuple[str, str], file: Path, environment: str, *, releases: list[Release], out: Path
) -> list[str]:
    helmfile, helm_binary = tools
    selectors = [a for r in releases for a in ("--selector", f"name={r.name},namespace={r.namespace}")]
    return [
        helmfile, "--file", str(file), "--environment", environment, "--helm-binary", helm_binary,
        "--no-color", *selectors, "template", "--skip-deps", "--skip-refresh", "--include-crds",
        "--output-dir", str(out),
        "--output-dir-template", "{{ .OutputDir }}/{{ .Release.Namespace }}/{{ .Release.Name }}",
    ]  # fmt: skip


def sources(file: Path, environment: str) -> list[Source]:
    """The helmfile (its `releases:`) and every local release's rendered templates."""
    file = file / "helmfile.yaml" if file.is_dir() else file
    try:
        own = decode(str(file), file.read_bytes(), "yaml")
    except OSError as err:
        raise HelmError(f"{file}: cannot read: {err.strerror}") from None
    local = _local_releases(file, environment)
    out = [own]
    if not local:
        return out
    with tempfile.TemporaryDirectory(prefix="kbp-lint-helmfile-") as tmp:
        tools = (find_helmfile(), helm.find_helm())
        cmd = _command(tools, file, environment, releases=[r for r, _ in local], out=Path(tmp))
        helm.render(cmd, timeout_s=RENDER_TIMEOUT_S)
        for release, chart in local:
            tree = Path(tmp) / release.namespace / release.name
            files = (
                sorted(p for p in tree.rglob("*") if p.suffix in (".yaml", ".yml")) if tree.is_dir() else []
            )
            rendered = "\n---\n".join(p.read_text() for p in files)
            out.extend(helm.split(rendered, Path(os.path.normpath(chart)), release=release))
    return out
