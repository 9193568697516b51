"""The fleet file: clusters by name with kubeconfig, context and labels, their cluster-services
environment and the journal's values per cluster, and the waves `kbp fleet apply` rolls out in.

Validated at this boundary with msgspec (unknown keys are errors naming their path), then checked
for what a schema cannot say: duplicate names, and wave selectors that match no cluster.
Paths in the file are relative to the file; `~` and `$VARS` are expanded.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import msgspec
import yaml

from kbp.fleet import FleetFileError, selectors

_NAME = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
Name = Annotated[str, msgspec.Meta(pattern=_NAME)]
T = TypeVar("T")


class ServicesConfig(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    """Cluster services (`kbp cluster-services`): which file, which environment; `enabled: false` skips."""

    enabled: bool | None = None
    file: str | None = None
    environment: str | None = None


class JournalConfig(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    """The journal (`kbp deploy`): the pinned tag, the chart's environment, and values for this cluster."""

    enabled: bool | None = None
    tag: str | None = None
    env: Literal["dev", "prod"] | None = None
    namespace: Name | None = None
    release: Name | None = None
    chart: str | None = None
    values: dict[str, Any] | None = None


class ClusterConfig(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    name: Name
    kubeconfig: str
    context: str | None = None
    labels: dict[str, str] = msgspec.field(default_factory=dict)
    services: ServicesConfig = msgspec.field(default_factory=ServicesConfig)
    journal: JournalConfig = msgspec.field(default_factory=JournalConfig)


class WaveConfig(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    name: Name
    selector: str


class FleetConfig(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    api_version: Literal["kbp.dev/v1"]
    kind: Literal["Fleet"]
    clusters: Annotated[list[ClusterConfig], msgspec.Meta(min_length=1)]
    services: ServicesConfig = msgspec.field(default_factory=ServicesConfig)
    journal: JournalConfig = msgspec.field(default_factory=JournalConfig)
    waves: list[WaveConfig] = msgspec.field(default_factory=list)


@dataclass(frozen=True)
class Services:
    file: Path
    environment: str


@dataclass(frozen=True)
class Journal:
    tag: str
    env: str
    namespace: str
    release: str
    chart: Path | None  # None: the chart kbp finds (charts/journal)
    values: Mapping[str, Any]  # this cluster's values, on top of values-<env>.yaml


@dataclass(frozen=True)
class Cluster:
    """One cluster, with the fleet's defaults filled in."""

    name: str
    kubeconfig: Path
    context: str | None
    labels: Mapping[str, str]
    services: Services | None  # None: not managed here
    journal: Journal | None


@dataclass(frozen=True)
class Wave:
    name: str
    selector: selectors.Selector


@dataclass(frozen=True)
class Fleet:
    path: Path
    clusters: tuple[Cluster, ...]
    waves: tuple[Wave, ...]

    def select(self, text: str) -> tuple[Cluster, ...]:
        """The clusters `text` picks, in file order; FleetFileError when it picks none."""
        selector = selectors.parse(text)
        picked = tuple(c for c in self.clusters if selector.matches(c.labels))
        if not picked:
            raise FleetFileError(f'selector "{text}" matches no cluster in {self.path}')
        return picked


DEFAULT_SERVICES_FILE = "cluster-services/helmfile.yaml"  # beside deploy/fleet.yaml


def load(path: Path) -> Fleet:
    """The fleet in `path`, checked; FleetFileError naming what is wrong, before anything runs."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise FleetFileError(f"{path}: cannot read the fleet file: {err}") from None
    except yaml.YAMLError as err:
        raise FleetFileError(f"{path}: invalid YAML: {err}") from None
    try:
        config = msgspec.convert(doc, FleetConfig)
    except msgspec.ValidationError as err:
        raise FleetFileError(f"{path}: {err}") from None
    return build(config, path)


def build(config: FleetConfig, path: Path) -> Fleet:
    base = path.parent
    _check_unique([c.name for c in config.clusters], "cluster", path)
    _check_unique([w.name for w in config.waves], "wave", path)
    for c in config.clusters:
        for key, value in c.labels.items():
            if not selectors.is_key(key) or not selectors.is_value(value):
                raise FleetFileError(
                    f'{path}: cluster "{c.name}": label {key}={value!r} is not a label value'
                )
    clusters = tuple(_cluster(c, config, base) for c in config.clusters)
    waves = tuple(Wave(w.name, selectors.parse(w.selector)) for w in config.waves)
    for wave in waves:
        if not any(wave.selector.matches(c.labels) for c in clusters):
            raise FleetFileError(
                f'{path}: wave "{wave.name}": selector "{wave.selector.text}" matches no cluster'
            )
    return Fleet(path, clusters, waves)


def _check_unique(names: list[str], what: str, path: Path) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise FleetFileError(f'{path}: {what} "{name}" is listed twice')
        seen.add(name)


def _path(text: str, base: Path) -> Path:
    # Absolute: helmfile runs helm from the services file's directory, not from ours.
    return (base / Path(os.path.expandvars(text)).expanduser()).absolute()


def _cluster(c: ClusterConfig, fleet: FleetConfig, base: Path) -> Cluster:
    return Cluster(
        name=c.name,
        kubeconfig=_path(c.kubeconfig, base),
        context=c.context,
        labels=dict(c.labels),
        services=_services(c.services, fleet.services, base, c.name),
        journal=_journal(c.journal, fleet.journal, base, c.name),
    )


def _services(mine: ServicesConfig, fleet: ServicesConfig, base: Path, name: str) -> Services | None:
    if _pick(mine.enabled, fleet.enabled, True) is False:
        return None
    environment = _either(mine.environment, fleet.environment)
    if environment is None:
        raise FleetFileError(f'cluster "{name}": services.environment is not set (here or at the top)')
    return Services(_path(_pick(mine.file, fleet.file, DEFAULT_SERVICES_FILE), base), environment)


def _journal(mine: JournalConfig, fleet: JournalConfig, base: Path, name: str) -> Journal | None:
    if _pick(mine.enabled, fleet.enabled, True) is False:
        return None
    tag = _either(mine.tag, fleet.tag)
    if tag is None:
        raise FleetFileError(f'cluster "{name}": journal.tag is not set (here or at the top); pin a tag')
    chart = _either(mine.chart, fleet.chart)
    return Journal(
        tag=tag,
        env=_pick(mine.env, fleet.env, "dev"),
        namespace=_pick(mine.namespace, fleet.namespace, "journal"),
        release=_pick(mine.release, fleet.release, "journal"),
        chart=_path(chart, base) if chart else None,
        values=merge(fleet.values or {}, mine.values or {}),
    )


def _pick(mine: T | None, fleet: T | None, default: T) -> T:
    """The cluster's own setting, else the fleet's, else the default."""
    return mine if mine is not None else fleet if fleet is not None else default


def _either(mine: T | None, fleet: T | None) -> T | None:
    return mine if mine is not None else fleet


def merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """`top` over `base`, maps merged key by key (as Helm merges values files)."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out
