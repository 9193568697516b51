"""`kbp deploy`: `helm upgrade --install` of the journal chart with one environment's values, the
immutable image tag and the live configuration, then a wait for every workload of the release.

The live configuration (version and settings, read from the cluster) goes to helm as values, so an
upgrade renders the ConfigMap that is already live and keeps what `kbp config set` did.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kbp import manifests
from kbp.goenv import go_env

ENVIRONMENTS = ("dev", "prod")
HELM_TIMEOUT_S = 300


class DeployError(Exception):
    """helm failed, or the inputs are wrong; the message says which and how to fix it."""


@dataclass(frozen=True)
class Plan:
    release: str
    namespace: str
    chart: Path
    env: str
    tag: str
    extra_values: tuple[Path, ...] = ()
    kubeconfig: Path | None = None
    context: str | None = None
    config: Mapping[str, Any] | None = None  # {"version": N, "settings": {...}} read from the cluster
    chart_keys: frozenset[str] = frozenset()  # config.settings keys in the chart's values.yaml

    @property
    def env_values(self) -> Path:
        return self.chart / f"values-{self.env}.yaml"


def overrides(plan: Plan) -> dict[str, Any]:
    """The values kbp sets on top of the environment's: the tag, and the live configuration.

    The live settings replace the chart's entirely: a key its values.yaml sets that the live ConfigMap
    lacks (a setting new to the chart) is nulled, which Helm's merge takes as "remove", so the upgrade
    renders the live ConfigMap byte for byte and never tries to change an immutable one.
    """
    values: dict[str, Any] = {"image": {"api": {"tag": plan.tag}, "fileserver": {"tag": plan.tag}}}
    if plan.config is not None:
        live = dict(plan.config["settings"])
        settings = {**dict.fromkeys(plan.chart_keys - live.keys()), **live}
        values["config"] = {"version": plan.config["version"], "settings": settings}
    return values


def setting_keys(paths: Sequence[Path]) -> frozenset[str]:
    """The config.settings keys these values files set."""
    keys: set[str] = set()
    for path in paths:
        doc = _load(path)
        settings = (doc.get("config") or {}).get("settings") if isinstance(doc, dict) else None
        keys |= set(settings or {})
    return frozenset(keys)


def cluster_flags(namespace: str, kubeconfig: Path | None, context: str | None) -> list[str]:
    """helm's flags for where a release lives: the kubeconfig path and context name, never credentials."""
    flags = ["--namespace", namespace]
    if kubeconfig:
        flags += ["--kubeconfig", str(kubeconfig)]
    if context:
        flags += ["--kube-context", context]
    return flags


def _cluster_flags(plan: Plan) -> list[str]:
    return cluster_flags(plan.namespace, plan.kubeconfig, plan.context)


def upgrade_command(helm: str, plan: Plan, values: Sequence[Path], *, dry_run: bool = False) -> list[str]:
    cmd = [helm, "upgrade", "--install", plan.release, str(plan.chart), *_cluster_flags(plan)]
    for path in values:
        cmd += ["--values", str(path)]
    if dry_run:
        cmd += ["--dry-run=server", "--output", "json"]
    return cmd


def without_settings(doc: Any) -> Any:
    """A values document minus config.settings and config.version, which the live cluster decides."""
    if not isinstance(doc, dict) or not isinstance(doc.get("config"), dict):
        return doc
    config = {k: v for k, v in doc["config"].items() if k not in ("settings", "version")}
    rest = {k: v for k, v in doc.items() if k != "config"}
    return {**rest, "config": config} if config else rest


def _write_private(path: Path, doc: Any) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(doc, out)
    return path


@contextmanager
def values_files(plan: Plan) -> Iterator[list[Path]]:
    """The values files for helm, in order: the environment's, the extra ones, kbp's overrides.

    Once a release has a live configuration, the environment's and extra files go through
    `without_settings` (copies, readable by their owner only, removed afterwards): a setting they hold
    that the live version lacks could not be removed by a null there, as it can from the chart's
    values.yaml, and would change the immutable live ConfigMap.
    """
    with tempfile.TemporaryDirectory(prefix="kbp-deploy-") as scratch:
        files = [plan.env_values, *plan.extra_values]
        if plan.config is not None:
            files = [
                _write_private(Path(scratch) / f"{i}-{path.name}", without_settings(_load(path)))
                for i, path in enumerate(files)
            ]
        yield [*files, _write_private(Path(scratch) / "kbp-values.json", overrides(plan))]


def _load(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise DeployError(f"{path}: {err}") from err


def run_helm(cmd: Sequence[str]) -> str:
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=HELM_TIMEOUT_S, check=False, env=go_env()
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise DeployError(f"helm {cmd[1]} failed: {err}") from None
    if proc.returncode != 0:
        raise DeployError(
            f"helm {' '.join(cmd[1:3])} failed (exit {proc.returncode}): {proc.stderr.strip()[:2000]}"
        )
    return proc.stdout


def release_values(helm: str, plan: Plan) -> dict[str, Any]:
    """`helm get values --all` of the release, or {} when there is none."""
    cmd = [helm, "get", "values", plan.release, "--all", "--output", "json", *_cluster_flags(plan)]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=HELM_TIMEOUT_S, check=False, env=go_env()
    )
    if proc.returncode != 0:
        return {}
    loaded = json.loads(proc.stdout or "{}")
    return loaded if isinstance(loaded, dict) else {}


@dataclass(frozen=True)
class Diff:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: Mapping[str, str] = field(default_factory=dict)  # object -> unified diff


def _objects(manifest: str) -> dict[str, dict[str, Any]]:
    """`Kind/name` -> that object, with Secret values masked."""
    found: dict[str, dict[str, Any]] = {}
    for doc in manifests.load_all(manifest):
        if not isinstance(doc, dict) or "kind" not in doc:
            continue
        if doc["kind"] == "Secret":
            for key in ("data", "stringData"):
                doc[key] = dict.fromkeys(doc.get(key) or {}, "(hidden)")
        found[f"{doc['kind']}/{doc['metadata']['name']}"] = doc
    return found


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    # JSON tells 1, 1.0 and true apart, as their YAML does; only objects that differ are dumped.
    return json.dumps(a, sort_keys=True, default=repr) == json.dumps(b, sort_keys=True, default=repr)


def diff(before: str, after: str) -> Diff:
    """What an upgrade from manifest `before` to `after` changes, object by object."""
    old, new = _objects(before), _objects(after)
    changed = {
        ref: "".join(
            difflib.unified_diff(
                yaml.safe_dump(old[ref], sort_keys=True).splitlines(keepends=True),
                yaml.safe_dump(new[ref], sort_keys=True).splitlines(keepends=True),
                ref,
                ref,
                n=2,
            )
        )
        for ref in sorted(old.keys() & new.keys())
        if not _same(old[ref], new[ref])
    }
    return Diff(tuple(sorted(new.keys() - old.keys())), tuple(sorted(old.keys() - new.keys())), changed)


def dry_run_manifest(output: str) -> str:
    """The manifest in `helm upgrade --dry-run=server --output json`'s release document."""
    try:
        doc = json.loads(output)
    except json.JSONDecodeError as err:
        raise DeployError(f"helm --dry-run printed no JSON release: {err}") from None
    return str(doc.get("manifest") or "")


def url(values: Mapping[str, Any]) -> str | None:
    """Where the release answers, from its computed values (exposure.kind and host)."""
    exposure = values.get("exposure") or {}
    if exposure.get("kind") in (None, "none") or not exposure.get("host"):
        return None
    return f"https://{exposure['host']}/"
