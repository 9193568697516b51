"""The journal chart rendered by the real helm 4 that testenv/build.sh builds, for tests."""

from __future__ import annotations

import copy
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kbp.charts import journal_chart
from kbp.cluster import binaries
from kbp.goenv import go_env

CHART = journal_chart()
DEV = CHART / "values-dev.yaml"
PROD = CHART / "values-prod.yaml"
# Helm's own limit for a release name: every name the chart builds on it must still fit.
LONGEST_RELEASE = "a-release-name-of-fifty-three-characters-helms-limits"


@dataclass(frozen=True)
class Helm:
    """helm with its cache, config and data kept in `home`, out of the real home directory."""

    binary: Path
    home: Path

    def env(self, kubeconfig: Path | None = None) -> dict[str, str]:
        env = go_env(  # as kbp runs helm (kbp.goenv)
            {
                **os.environ,
                "HELM_CACHE_HOME": str(self.home / "cache"),
                "HELM_CONFIG_HOME": str(self.home / "config"),
                "HELM_DATA_HOME": str(self.home / "data"),
            }
        )
        if kubeconfig is not None:
            env["KUBECONFIG"] = str(kubeconfig)
        return env

    def run(
        self, *args: str, check: bool = True, kubeconfig: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.binary), *args],
            env=self.env(kubeconfig),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def template(
        self, *, values: Sequence[Path] = (), sets: Sequence[str] = (), release: str = "journal"
    ) -> list[dict[str, Any]]:
        """Every object `helm template` renders (tests hooks included), in order.

        Many tests render the same thing, so each render is kept for the session, keyed on the
        values files' content (a test may rewrite one); callers get a copy of their own to change.
        """
        args = ["template", release, str(CHART), "--namespace", "journal"]
        for file in values:
            args += ["--values", str(file)]
        for assignment in sets:
            args += ["--set", assignment]
        key: tuple[str | bytes, ...] = (str(self.binary), *args, *(file.read_bytes() for file in values))
        if key not in _RENDERED:
            _RENDERED[key] = [doc for doc in yaml.safe_load_all(self.run(*args).stdout) if doc]
        return copy.deepcopy(_RENDERED[key])


# helm template's output for a key (helm, its arguments, the values files' content): Helm.template.
_RENDERED: dict[tuple[str | bytes, ...], list[dict[str, Any]]] = {}


def find_helm(home: Path) -> Helm:
    """The helm 4 the control plane build ships; fails (never skips) without it."""
    return Helm(binaries.resolve() / "helm", home)


def one(objects: Sequence[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    """The object of `kind` named `name`; fails naming what was rendered instead."""
    found = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(found) == 1, f"{kind}/{name} not rendered once; have {[names(objects)]}"
    return found[0]


def names(objects: Sequence[dict[str, Any]]) -> list[str]:
    return [f"{o['kind']}/{o['metadata']['name']}" for o in objects]


def pod_specs(objects: Sequence[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind/name, pod spec) of every workload."""
    for obj in objects:
        if obj["kind"] in ("Deployment", "StatefulSet"):
            yield f"{obj['kind']}/{obj['metadata']['name']}", obj["spec"]["template"]["spec"]
