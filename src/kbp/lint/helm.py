"""Render a chart with ``helm template`` and split the output per template (``# Source:``)."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from kbp.goenv import go_env
from kbp.lint.errors import HelmError
from kbp.lint.manifests import Release
from kbp.lint.sources import Source

HELM_ENV = "KBP_HELM"
_SOURCE = re.compile(r"^# Source: (?P<path>.+?)\s*$", re.MULTILINE)
RENDER_TIMEOUT_S = 120


def find_tool(name: str, env: str, url: str) -> str:
    """``$env``, then PATH, then what `bash testenv/build.sh` built (~/.cache/kbp/testenv/*/name)."""
    explicit = os.environ.get(env)
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise HelmError(f"{env}={explicit} is not an executable file")
        return explicit
    found = shutil.which(name)
    if found:
        return found
    for pattern in (f"~/.cache/kbp/bin/{name}", f"~/.cache/kbp/testenv/*/{name}"):
        built = sorted(glob.glob(os.path.expanduser(pattern)), key=os.path.getmtime, reverse=True)
        for path in built:
            if os.access(path, os.X_OK):
                return path
    raise HelmError(
        f"{name} not found: install it ({url}), put it on PATH, set {env}=/path/to/{name}, "
        "or run `bash testenv/build.sh` (builds one into ~/.cache/kbp/testenv)"
    )


def find_helm() -> str:
    return find_tool("helm", HELM_ENV, "https://helm.sh/docs/intro/install/")


def template_command(
    helm: str,
    chart: Path,
    *,
    values: Sequence[Path],
    sets: Sequence[str],
    release: str,
    namespace: str | None,
    api_versions: Sequence[str] = (),
) -> list[str]:
    cmd = [helm, "template", release, str(chart)]
    for file in values:
        cmd += ["--values", str(file)]
    for assignment in sets:
        cmd += ["--set", assignment]
    if namespace:
        cmd += ["--namespace", namespace]
    for api in api_versions:  # what `.Capabilities.APIVersions.Has` sees, as on the target cluster
        cmd += ["--api-versions", api]
    return cmd


def render(cmd: Sequence[str], timeout_s: float = RENDER_TIMEOUT_S) -> str:
    tool = f"{os.path.basename(cmd[0])} template"
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout_s, check=False, env=go_env()
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise HelmError(f"{tool} failed: {err}") from None
    if proc.returncode != 0:
        raise HelmError(f"{tool} failed (exit {proc.returncode}): {proc.stderr.strip()[:2000]}")
    return proc.stdout


def split(
    rendered: str, chart: Path | None, prefix_name: str = "(rendered)", release: Release | None = None
) -> list[Source]:
    """One Source per template, named after the chart file it came from.

    ``chart`` replaces the chart name in ``# Source: <chart>/templates/x.yaml``; None keeps the
    path as helm wrote it (for `helm template ... | kbp lint -`). Line numbers are relative to
    that template's rendered output (`helm template --show-only`).
    """
    marks = list(_SOURCE.finditer(rendered))
    head = rendered[: marks[0].start()] if marks else rendered
    out: list[Source] = []
    if head.replace("---", "").strip():  # objects before the first marker keep the stream's name
        out.append(Source(prefix_name if chart is None else f"{chart}/{prefix_name}", head, "yaml", release))
    for mark, nxt in zip(marks, [*marks[1:], None], strict=False):
        body = rendered[mark.end() + 1 : nxt.start() if nxt else len(rendered)]
        body = re.sub(r"\n---\s*$", "\n", body)
        if not body.strip():
            continue
        _, _, inner = mark["path"].partition("/")  # "<chart-name>/templates/x.yaml"
        name = str(chart / inner) if chart is not None and inner else mark["path"]
        out.append(Source(name, body, "yaml", release))
    return out
