"""kbp cluster-services on the real control plane, with helmfile and helm 4 from testenv.

The real chart repositories are out of reach here, so a helm repository of small test charts is
served on loopback (`helm package` + `helm repo index`), and a test helmfile in the real file's
shape points at it: one release needs a CRD another installs, one is a local chart.
"""

from __future__ import annotations

import functools
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.controlplane import ControlPlane

CHARTS = Path(__file__).parents[1] / "fixtures" / "charts"


@dataclass(frozen=True)
class Services:
    """The test helmfile and how to run kbp against the cluster with it."""

    cluster: ControlPlane
    dir: Path
    suffix: str  # keeps namespaces apart from other tests sharing the cluster

    @property
    def ns_crds(self) -> str:
        return f"svc-crds-{self.suffix}"

    @property
    def ns_app(self) -> str:
        return f"svc-app-{self.suffix}"

    def env(self) -> dict[str, str]:
        env = self.cluster.env()
        # COLUMNS: Rich fits tables to it; wide enough that no cell is cut.
        return {**env, "PATH": f"{self.cluster.bin_dir}{os.pathsep}{env['PATH']}", "COLUMNS": "250"}

    def kbp(self, *args: str, file: Path | None = None) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "kbp", "cluster-services", *args]
        argv += ["-f", str(file or self.dir / "helmfile.yaml"), "--kubeconfig", str(self.cluster.kubeconfig)]
        return subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=300, check=False)

    def releases(self) -> dict[str, dict[str, Any]]:
        out = self.cluster.run("helm", "list", "-A", "-o", "json").stdout
        mine = (self.ns_crds, self.ns_app)
        return {r["name"]: r for r in json.loads(out) if r["namespace"] in mine}


def _serve(directory: Path) -> tuple[ThreadingHTTPServer, str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _package(cluster: ControlPlane, repo: Path, tmp: Path) -> None:
    """svc-crds 0.1.0, svc-app 0.1.0 and 0.2.0 (the one a person upgrades to by hand)."""
    app_v2 = tmp / "svc-app-v2" / "svc-app"
    shutil.copytree(CHARTS / "svc-app", app_v2)
    chart_yaml = app_v2 / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("version: 0.1.0", "version: 0.2.0"))
    for chart in (CHARTS / "svc-crds", CHARTS / "svc-app", app_v2):
        cluster.run("helm", "package", str(chart), "--destination", str(repo))
    cluster.run("helm", "repo", "index", str(repo))


HELMFILE = """\
environments:
  dev:
    values: [environments/dev.yaml]
  changed:
    values: [environments/changed.yaml]
---
repositories:
  - name: testrepo
    url: {url}
helmDefaults:
  createNamespace: true
releases:
  # Listed before what it needs: the order comes from `needs`, not from the file.
  - name: app
    namespace: {ns_app}
    chart: testrepo/svc-app
    version: 0.1.0
    needs: [{ns_crds}/crds]
    values: [values/app.yaml.gotmpl]
  - name: crds
    namespace: {ns_crds}
    chart: testrepo/svc-crds
    version: 0.1.0
  - name: notes
    namespace: {ns_app}
    chart: ./charts/svc-notes
    version: 0.3.0
    needs: [{ns_app}/app]
"""


@pytest.fixture(scope="module")
def services(cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    tmp = tmp_path_factory.mktemp("cluster-services")
    repo = tmp / "repo"
    repo.mkdir()
    _package(cluster, repo, tmp)
    server, url = _serve(repo)
    root = tmp / "services"
    (root / "environments").mkdir(parents=True)
    (root / "values").mkdir()
    shutil.copytree(CHARTS / "svc-notes", root / "charts" / "svc-notes")
    s = Services(cluster, root, secrets.token_hex(3))
    (root / "helmfile.yaml").write_text(HELMFILE.format(url=url, ns_app=s.ns_app, ns_crds=s.ns_crds))
    (root / "environments" / "dev.yaml").write_text("greeting: hello\n")
    (root / "environments" / "changed.yaml").write_text("greeting: bonjour\n")
    (root / "values" / "app.yaml.gotmpl").write_text("greeting: {{ .Values.greeting }}\n")
    try:
        yield s
    finally:
        for name, ns in (("notes", s.ns_app), ("app", s.ns_app), ("crds", s.ns_crds)):
            cluster.run("helm", "uninstall", name, "-n", ns, "--ignore-not-found", check=False)
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def applied(services: Services) -> subprocess.CompletedProcess[str]:
    """The first apply, onto an empty cluster."""
    result = services.kbp("apply", "-e", "dev")
    assert result.returncode == 0, result.stderr
    return result


def test_apply_installs_in_needs_order_at_the_pinned_versions(
    services: Services, applied: subprocess.CompletedProcess[str]
) -> None:
    releases = services.releases()
    assert {n: r["chart"] for n, r in releases.items()} == {
        "crds": "svc-crds-0.1.0",
        "app": "svc-app-0.1.0",
        "notes": "svc-notes-0.3.0",
    }
    assert all(r["status"] == "deployed" for r in releases.values())
    # app's Widget could only be created once crds' CRD existed; the timestamps agree.
    assert releases["crds"]["updated"] < releases["app"]["updated"] < releases["notes"]["updated"]
    widget = services.cluster.run("kubectl", "get", "widgets.services.kbp.test", "app", "-n", services.ns_app)
    assert "app" in widget.stdout
    assert "3 release(s) installed or upgraded" in applied.stderr


def test_a_second_apply_changes_nothing(
    services: Services, applied: subprocess.CompletedProcess[str]
) -> None:
    before = {n: int(r["revision"]) for n, r in services.releases().items()}
    again = services.kbp("apply", "-e", "dev", "-o", "json")
    assert again.returncode == 0, again.stderr
    assert {i["action"] for i in json.loads(again.stdout)["items"]} == {"unchanged"}
    assert "nothing to change" in again.stderr
    assert {n: int(r["revision"]) for n, r in services.releases().items()} == before


def test_diff_shows_a_changed_value_and_hides_secret_values(
    services: Services, applied: subprocess.CompletedProcess[str]
) -> None:
    same = services.kbp("diff", "-e", "dev")
    assert same.returncode == 0, same.stdout + same.stderr
    changed = services.kbp("diff", "-e", "changed")
    assert changed.returncode == 1, changed.stderr
    assert '-  greeting: "hello"' in changed.stdout or "-  greeting: hello" in changed.stdout
    assert "bonjour" in changed.stdout
    assert "+  token: (redacted, changed)" in changed.stdout
    plans = {
        i["name"]: i for i in json.loads(services.kbp("diff", "-e", "changed", "-o", "json").stdout)["items"]
    }
    assert plans["app"]["action"] == "upgrade"
    assert plans["crds"]["action"] == plans["notes"]["action"] == "unchanged"
    # diff changed nothing.
    assert int(services.releases()["app"]["revision"]) == 1


def test_apply_dry_run_changes_nothing(services: Services, applied: subprocess.CompletedProcess[str]) -> None:
    result = services.kbp("apply", "-e", "changed", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "1 release(s) would change (dry run)" in result.stderr
    assert int(services.releases()["app"]["revision"]) == 1


def test_status_flags_a_release_upgraded_by_hand_and_apply_restores_the_pin(
    services: Services, applied: subprocess.CompletedProcess[str]
) -> None:
    ok = services.kbp("status", "-e", "dev", "-o", "json")
    assert ok.returncode == 0, ok.stderr
    assert {i["state"] for i in json.loads(ok.stdout)["items"]} == {"in-sync"}
    services.cluster.run(
        "helm",
        "upgrade",
        "app",
        "testrepo/svc-app",
        "--version",
        "0.2.0",
        "-n",
        services.ns_app,
        "--reuse-values",
    )
    drifted = services.kbp("status", "-e", "dev", "-o", "json")
    assert drifted.returncode == 1
    rows = {i["name"]: i for i in json.loads(drifted.stdout)["items"]}
    assert (rows["app"]["state"], rows["app"]["deployed"], rows["app"]["pinned"]) == (
        "drifted",
        "0.2.0",
        "0.1.0",
    )
    assert rows["crds"]["state"] == rows["notes"]["state"] == "in-sync"
    assert f"{services.ns_app}/app" in drifted.stderr
    table = services.kbp("status", "-e", "dev")
    assert "drifted" in table.stdout
    assert "version 0.2.0 deployed, 0.1.0 pinned" in table.stdout
    restored = services.kbp("apply", "-e", "dev")
    assert restored.returncode == 0, restored.stderr
    assert services.releases()["app"]["chart"] == "svc-app-0.1.0"
    assert services.kbp("status", "-e", "dev").returncode == 0


@pytest.mark.parametrize("pin", ["", "version: latest", 'version: "~0.1"', 'version: ">=0.1.0"'])
def test_an_unpinned_release_is_refused_before_anything_runs(
    services: Services, applied: subprocess.CompletedProcess[str], pin: str
) -> None:
    before = services.releases()
    text = (services.dir / "helmfile.yaml").read_text()
    extra = f"  - name: extra\n    namespace: {services.ns_app}\n    chart: testrepo/svc-app\n    {pin}\n"
    loose = services.dir / "loose.yaml"
    loose.write_text(text + extra)
    result = services.kbp("apply", "-e", "dev", file=loose)
    assert result.returncode == 2
    assert 'release "extra"' in result.stderr
    assert "pin an exact chart version" in result.stderr
    assert services.releases() == before


REAL = Path(__file__).parents[2] / "deploy" / "cluster-services"


@pytest.mark.parametrize(
    ("environment", "issuer", "absent"),
    [("dev", "name: selfsigned", "letsencrypt"), ("prod", "name: letsencrypt", "name: selfsigned")],
)
def test_the_real_file_renders_its_local_charts_per_environment(
    cluster: ControlPlane, environment: str, issuer: str, absent: str
) -> None:
    """helmfile itself reads the real file: environments, values templates and local charts (the
    remote charts are out of reach here, so only the local releases are rendered)."""
    argv = [str(cluster.bin_dir / "helmfile"), "--file", str(REAL / "helmfile.yaml"), "-e", environment]
    argv += ["--helm-binary", str(cluster.bin_dir / "helm"), "--skip-deps", "-l", "name=cluster-issuers"]
    argv += ["-l", "name=edge", "template", "--skip-tests"]
    out = subprocess.run(argv, env=cluster.env(), capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert issuer in out.stdout
    assert absent not in out.stdout
    assert f'cert-manager.io/cluster-issuer: "{issuer.split(": ")[1]}"' in out.stdout
    if environment == "prod":
        assert 'email: "platform@example.org"' in out.stdout
        assert "gatewayHTTPRoute:" in out.stdout


def test_the_context_flag_reaches_helm_and_helmfile(
    services: Services, applied: subprocess.CompletedProcess[str]
) -> None:
    kubeconfig = yaml.safe_load(services.cluster.kubeconfig.read_text())
    ok = services.kbp("status", "-e", "dev", "--context", kubeconfig["current-context"])
    assert ok.returncode == 0, ok.stderr
    wrong = services.kbp("status", "-e", "dev", "--context", "no-such-context")
    assert wrong.returncode == 1
    assert "no-such-context" in wrong.stderr
