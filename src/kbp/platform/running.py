"""The edge: helmfile and helm as subprocesses, pointed at one kubeconfig and context.

Only paths and names go on a command line (`--kubeconfig`, `--kube-context`, release names);
credentials stay in the kubeconfig file. Output is captured and, on failure, its tail is raised.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kbp.platform.drift import Deployed, parse_helm_list
from kbp.platform.errors import ToolError
from kbp.platform.releases import Release

TAIL_CHARS = 2000  # of a failed tool's output: enough to see why, short enough to read
BUILD_HINT = "`bash testenv/build.sh` builds helm and helmfile and prints their directory"


@dataclass(frozen=True)
class Target:
    """Where the releases go, and with which tools."""

    helmfile: Path
    helm: Path
    kubeconfig: Path | None = None
    context: str | None = None
    timeout_s: float = 900.0

    def cluster_flags(self) -> list[str]:
        flags = ["--kubeconfig", str(self.kubeconfig)] if self.kubeconfig else []
        return flags + (["--kube-context", self.context] if self.context else [])


def find_tool(name: str) -> Path:
    found = shutil.which(name)
    if found is None:
        raise ToolError(f"{name} not found on PATH; {BUILD_HINT}")
    return Path(found)


def target(kubeconfig: Path | None = None, context: str | None = None) -> Target:
    return Target(find_tool("helmfile"), find_tool("helm"), kubeconfig, context)


def _run(argv: Sequence[str], t: Target) -> str:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=t.timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"{Path(argv[0]).name} {argv[1]} did not finish in {t.timeout_s:.0f}s") from exc
    if result.returncode != 0:
        tail = (result.stderr.strip() or result.stdout.strip())[-TAIL_CHARS:]
        raise ToolError(
            f"{Path(argv[0]).name} {' '.join(argv[1:3])} failed (exit {result.returncode}):\n{tail}"
        )
    return result.stdout


def _helmfile(t: Target, file: Path, environment: str, *args: str) -> list[str]:
    return [
        str(t.helmfile),
        "--file",
        str(file),
        "--environment",
        environment,
        "--helm-binary",
        str(t.helm),
        "--no-color",
        *t.cluster_flags(),
        *args,
    ]


def enabled_releases(t: Target, file: Path, environment: str) -> set[str]:
    """Keys of the releases switched on in `environment` (conditions and `installed:` evaluated)."""
    out = _run(_helmfile(t, file, environment, "list", "--output", "json"), t)
    try:
        rows = json.loads(out or "[]")
    except json.JSONDecodeError as exc:
        raise ToolError(f"helmfile list printed no JSON: {out[:200]!r}") from exc
    return {f"{r['namespace']}/{r['name']}" for r in rows if r.get("enabled") and r.get("installed")}


def deployed_releases(t: Target) -> dict[str, Deployed]:
    """Every release in every namespace: deployed, failed, or stuck pending (`--max 0`: no
    limit; helm stops at 256 by default)."""
    states = ["--deployed", "--failed", "--pending"]
    argv = [str(t.helm), "list", "--all-namespaces", *states, "--max", "0", "--output", "json"]
    return parse_helm_list(_run([*argv, *t.cluster_flags()], t))


def deployed_manifest(t: Target, d: Deployed) -> str:
    return _run([str(t.helm), "get", "manifest", d.name, "--namespace", d.namespace, *t.cluster_flags()], t)


def render(t: Target, file: Path, environment: str, releases: Iterable[Release]) -> dict[str, str]:
    """Each release's manifest as `apply` would install it, without hooks and tests, by key."""
    wanted = list(releases)
    if not wanted:
        return {}
    with tempfile.TemporaryDirectory(prefix="kbp-render-") as tmp:
        out = Path(tmp)
        _run(
            _helmfile(
                t, file, environment, *_selectors(wanted), "template", "--skip-tests", "--no-hooks",
                "--output-dir", str(out),
                "--output-dir-template", "{{ .OutputDir }}/{{ .Release.Namespace }}/{{ .Release.Name }}",
            ),
            t,
        )  # fmt: skip
        return {r.key: _read_tree(out / r.namespace / r.name) for r in wanted}


def sync(t: Target, file: Path, environment: str, releases: Iterable[Release]) -> None:
    """Install or upgrade exactly these releases; helmfile orders them by `needs`."""
    wanted = list(releases)
    if wanted:
        _run(_helmfile(t, file, environment, *_selectors(wanted), "sync"), t)


def _selectors(releases: Sequence[Release]) -> list[str]:
    """One --selector per release: helmfile ORs them, and ANDs the labels inside one."""
    return [arg for r in releases for arg in ("--selector", f"name={r.name},namespace={r.namespace}")]


def _read_tree(directory: Path) -> str:
    if not directory.is_dir():
        return ""
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return "\n---\n".join(p.read_text() for p in files)
