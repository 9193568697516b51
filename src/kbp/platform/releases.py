"""The services file, read and checked before anything runs: every release pinned to one version.

The file is helmfile's own format, kept to plain YAML so every pin is literal: what differs
between environments belongs in environment values and `.gotmpl` values files, which helmfile
renders later. A range (`^1.2`, `~1.2`, `>=1`, `1.x`), `latest`, a partial or a missing version
is refused here, naming the release, so a bad pin never reaches a cluster.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kbp.platform.errors import PinError

# SemVer 2 with the optional leading `v` many charts use (cert-manager, Envoy Gateway).
_EXACT = re.compile(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)
_RANGE = re.compile(r"[\^~<>=*|, ]|(^|\.)[xX](\.|$)")
_EXAMPLE = "pin an exact chart version, for example 1.2.3"
DEFAULT_ENVIRONMENT = "default"  # helmfile's environment when a file declares none


@dataclass(frozen=True)
class Release:
    """One pinned Helm release."""

    name: str
    namespace: str
    chart: str  # repo/name, oci://…, or a local path (./charts/x)
    version: str
    needs: tuple[str, ...] = ()  # keys (namespace/name) of releases installed first
    condition: str | None = None  # an environment value that switches the release on

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def chart_name(self) -> str:
        """The chart's own name, as `helm list` prints it before the version."""
        return self.chart.rstrip("/").rsplit("/", 1)[-1]

    @property
    def is_local(self) -> bool:
        return self.chart.startswith(("./", "../", "/"))


@dataclass(frozen=True)
class ServicesFile:
    """The releases of one file, in install order (each after what it needs)."""

    releases: tuple[Release, ...]
    environments: tuple[str, ...]

    def check_environment(self, environment: str) -> str:
        if environment not in self.environments:
            declared = ", ".join(self.environments)
            raise PinError(f'unknown environment "{environment}" (declared: {declared})')
        return environment


def version_problem(version: object) -> str | None:
    """Why `version` is not one exact version, or None when it is."""
    if version is None or (isinstance(version, str) and not version.strip()):
        return f"has no version; {_EXAMPLE}"
    if isinstance(version, bool) or not isinstance(version, str | int | float):
        return f"has version {version!r}, not a string; {_EXAMPLE}"
    text = str(version).strip()
    checks = (
        ("{{" in text, f'has a templated version "{text}"; write the pin literally ({_EXAMPLE})'),
        (text.lower() in ("latest", "stable", "*"), f'has version "{text}", which moves; {_EXAMPLE}'),
        (bool(_RANGE.search(text)), f'has version "{text}", a range; {_EXAMPLE}'),
        (
            not isinstance(version, str) or not _EXACT.match(text),
            f'has version "{text}", not an exact MAJOR.MINOR.PATCH; {_EXAMPLE} (quoted)',
        ),
    )
    return next((message for failed, message in checks if failed), None)


def parse(text: str, *, source: str = "helmfile.yaml") -> ServicesFile:
    """Check a helmfile's releases and return them in install order; PinError names the culprit."""
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise PinError(f"{source}: not YAML ({exc}); write plain YAML, templating in values files") from exc
    if not docs or not all(isinstance(d, Mapping) for d in docs):
        raise PinError(f"{source}: expected YAML mappings with `releases:` (parts split by ---)")
    doc = _merged(docs, source)
    repositories = {str(r.get("name")) for r in _list(doc, "repositories", source) if isinstance(r, Mapping)}
    environments = tuple(str(e) for e in (doc.get("environments") or {})) or (DEFAULT_ENVIRONMENT,)
    entries = _list(doc, "releases", source)
    if not entries:
        raise PinError(f"{source}: no releases")
    releases = [_release(entry, i, repositories, source) for i, entry in enumerate(entries)]
    return ServicesFile(
        releases=install_order(_resolve_needs(releases, source), source), environments=environments
    )


def load(path: Path) -> ServicesFile:
    """Read and check `path` (a helmfile.yaml, or the directory holding one); local charts must
    carry the version they are pinned to."""
    file = path / "helmfile.yaml" if path.is_dir() else path
    try:
        text = file.read_text()
    except OSError as exc:
        raise PinError(f"{file}: cannot read it ({exc.strerror})") from exc
    services = parse(text, source=str(file))
    for release in services.releases:
        if release.is_local:
            _check_local(release, file.parent / release.chart)
    return services


def install_order(releases: Sequence[Release], source: str = "helmfile.yaml") -> tuple[Release, ...]:
    """Each release after everything it needs, otherwise in file order; a cycle is refused."""
    done: dict[str, Release] = {}
    pending = list(releases)
    while pending:
        ready = [r for r in pending if all(n in done for n in r.needs)]
        if not ready:
            names = ", ".join(r.key for r in pending)
            raise PinError(f"{source}: `needs` form a cycle among {names}")
        done[ready[0].key] = ready[0]
        pending.remove(ready[0])
    return tuple(done.values())


def _merged(parts: Sequence[Mapping[str, Any]], source: str) -> dict[str, Any]:
    """helmfile's parts as one mapping: helmfile v1 wants `environments` in a part of its own."""
    doc: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key in doc:
                raise PinError(f"{source}: `{key}` appears in two parts; keep each key in one")
            doc[key] = value
    return doc


def _list(doc: Mapping[str, Any], key: str, source: str) -> list[Any]:
    value = doc.get(key) or []
    if not isinstance(value, list):
        raise PinError(f"{source}: `{key}` must be a list")
    return value


def _release(entry: object, index: int, repositories: set[str], source: str) -> Release:
    if not isinstance(entry, Mapping):
        raise PinError(f"{source}: releases[{index}] is not a mapping")
    name = entry.get("name")
    label = f'{source}: release "{name}"' if name else f"{source}: releases[{index}]"
    for key in ("name", "namespace", "chart"):
        value = entry.get(key)
        if not isinstance(value, str) or not value or "{{" in value:
            raise PinError(f"{label}: `{key}` must be a literal string")
    problem = version_problem(entry.get("version"))
    if problem:
        raise PinError(f"{label} {problem}")
    chart = str(entry["chart"])
    repo = chart.split("/", 1)[0]
    plain = not chart.startswith(("./", "../", "/", "oci://"))
    if plain and ("/" not in chart or repo not in repositories):
        raise PinError(f'{label}: chart "{chart}" names no declared repository (repo/chart, oci://…, ./path)')
    needs = entry.get("needs") or []
    if not isinstance(needs, list) or not all(isinstance(n, str) for n in needs):
        raise PinError(f"{label}: `needs` must be a list of namespace/name strings")
    condition = entry.get("condition")
    return Release(
        name=str(entry["name"]),
        namespace=str(entry["namespace"]),
        chart=chart,
        version=str(entry["version"]).strip(),
        needs=tuple(needs),
        condition=str(condition) if condition else None,
    )


def _resolve_needs(releases: Sequence[Release], source: str) -> list[Release]:
    """Turn each `needs` entry into a release key: namespace/name, or a name in the same namespace."""
    keys = [r.key for r in releases]
    duplicates = {k for k in keys if keys.count(k) > 1}
    if duplicates:
        raise PinError(f"{source}: release {sorted(duplicates)[0]} is declared twice")
    resolved = []
    for release in releases:
        needs = []
        for need in release.needs:
            key = need if "/" in need else f"{release.namespace}/{need}"
            if key not in keys:
                raise PinError(f'{source}: release "{release.name}" needs "{need}", which is not declared')
            needs.append(key)
        resolved.append(Release(**{**release.__dict__, "needs": tuple(needs)}))
    return resolved


def _check_local(release: Release, chart_dir: Path) -> None:
    try:
        meta = yaml.safe_load((chart_dir / "Chart.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PinError(f'release "{release.name}": no readable Chart.yaml in {chart_dir}') from exc
    actual = str(meta.get("version", ""))
    if actual.lstrip("v") != release.version.lstrip("v"):
        raise PinError(
            f'release "{release.name}" pins {release.version} but {chart_dir}/Chart.yaml says "{actual}"'
        )
