"""What `helm list --all-namespaces --deployed --failed --pending` reports, read from the cluster.

Helm 4 keeps each revision of a release in a Secret of type helm.sh/release.v1 (a ConfigMap with
HELM_DRIVER=configmap), labelled owner=helm, name=<release>, version=<revision> and
status=<status>. Its `release` key is the release as JSON, gzipped and base64-encoded
(helm.sh/helm/v4 pkg/storage/driver). `helm list` shows each release's newest revision when that
revision is deployed, failed or pending-*. Here one list call fetches the records that are not
superseded, the labels pick each release's newest revision, and only that one is decoded: a
cluster's answer is one API call from this process instead of a helm process, so asking many
clusters at once is waiting that overlaps.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kbp import kube
from kbp.platform.drift import Deployed
from kbp.platform.errors import ToolError

DRIVER_ENV = "HELM_DRIVER"
_KINDS = {
    "": "Secret",
    "secret": "Secret",
    "secrets": "Secret",
    "configmap": "ConfigMap",
    "configmaps": "ConfigMap",
}
LISTED = frozenset({"deployed", "failed", "pending-install", "pending-upgrade", "pending-rollback"})
_GZIP = b"\x1f\x8b\x08"


def storage_kind(env: Mapping[str, str]) -> str:
    """The kind helm stores releases in, from HELM_DRIVER as helm reads it; ToolError for sql or memory."""
    driver = env.get(DRIVER_ENV, "")
    if driver not in _KINDS:
        raise ToolError(
            f"{DRIVER_ENV}={driver}: kbp reads Helm's releases from Secrets or ConfigMaps "
            "(HELM_DRIVER unset, secret or configmap)"
        )
    return _KINDS[driver]


def newest(records: Iterable[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Each release's records, newest revision first, for the releases helm would list.

    `records` are owner=helm Secrets or ConfigMaps. A release whose newest revision is uninstalled
    or uninstalling is left out, as helm leaves it out; so is a record without a revision label
    (helm writes one on every record).
    """
    by_release: dict[tuple[str, str], list[tuple[int, str, Mapping[str, Any]]]] = {}
    for record in records:
        meta = record.get("metadata") or {}
        labels = meta.get("labels") or {}
        try:
            revision = int(labels.get("version", ""))
        except ValueError:
            continue
        key = (str(meta.get("namespace", "")), str(labels.get("name", "")))
        by_release.setdefault(key, []).append((revision, str(labels.get("status", "")), record))
    found = []
    for revisions in by_release.values():
        revisions.sort(key=lambda r: r[0], reverse=True)
        if revisions[0][1] in LISTED:
            found.append([record for _, _, record in revisions])
    return found


def decode(payload: str) -> dict[str, Any]:
    """A release from its `release` value: base64, gzip (older releases may lack it), JSON.

    ValueError when it is not one (helm skips such a record, and so do we)."""
    try:
        raw = base64.b64decode(payload, validate=True)
        if raw[:3] == _GZIP:
            raw = gzip.decompress(raw)
        doc = json.loads(raw)
    except (binascii.Error, OSError, EOFError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a Helm release: {exc}") from exc
    if not isinstance(doc, dict):
        raise ValueError("not a Helm release: not a JSON object")
    return doc


def as_deployed(release: Mapping[str, Any]) -> Deployed:
    """The fields of `helm list` (chart name and version apart, as helm keeps them) and the manifest."""
    info = release.get("info") or {}
    chart = (release.get("chart") or {}).get("metadata") or {}
    return Deployed(
        name=str(release.get("name", "")),
        namespace=str(release.get("namespace", "")),
        chart_name=str(chart.get("name", "")),
        version=str(chart.get("version", "")),
        revision=int(release.get("version") or 0),
        status=str(info.get("status", "")),
        updated=str(info.get("last_deployed", "")),
        manifest=str(release.get("manifest") or ""),
    )


def deployed_releases(client: kube.KubeClient, *, kind: str = "Secret") -> dict[str, Deployed]:
    """Every listed release in every namespace, by namespace/name (KubeError if the API fails)."""
    # One list, one consistent view. Helm writes a revision before it marks the one before it
    # superseded, so the newest revision is never superseded and superseded ones (most of a
    # release's history, each with its chart) need not be moved or read.
    records = kube.list_objects(
        client, "v1", kind, labels={"owner": "helm"}, excluding={"status": "superseded"}
    )
    found: dict[str, Deployed] = {}
    for revisions in newest(records):
        release = _first_readable(kind, revisions)
        if release is not None and str((release.get("info") or {}).get("status", "")) in LISTED:
            d = as_deployed(release)
            found[d.key] = d
    return found


def deployed_release(
    client: kube.KubeClient, namespace: str, name: str, *, kind: str = "Secret"
) -> Deployed | None:
    """One release as `helm list -n namespace` shows it (its manifest is `helm get manifest`'s), or
    None when helm would list none: never installed, or uninstalled (KubeError if the API fails)."""
    release = listed_release(client, namespace, name, kind=kind)
    return as_deployed(release) if release is not None else None


def listed_release(
    client: kube.KubeClient, namespace: str, name: str, *, kind: str = "Secret"
) -> dict[str, Any] | None:
    """The newest revision of a release that `helm list -n namespace` shows, decoded; None when it
    shows none (KubeError if the API fails)."""
    records = kube.list_objects(
        client,
        "v1",
        kind,
        namespace,
        labels={"owner": "helm", "name": name},
        excluding={"status": "superseded"},
    )
    for revisions in newest(records):
        release = _first_readable(kind, revisions)
        if release is not None and str((release.get("info") or {}).get("status", "")) in LISTED:
            return release
    return None


def computed_values(release: Mapping[str, Any]) -> dict[str, Any]:
    """What `helm get values --all` prints for a release: the chart's values with the release's
    own (`config`) over them, maps merged key by key and a null removing the chart's key, as
    Helm's chartutil.CoalesceValues does. The record holds no subchart, so there is nothing else."""
    chart = (release.get("chart") or {}).get("values") or {}
    return _coalesce(release.get("config") or {}, chart)


def _coalesce(own: Mapping[str, Any], chart: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(chart)
    for key, value in own.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _coalesce(value, merged[key])
        else:
            merged[key] = value
    return merged


def read(kubeconfig: Path | None, context: str | None) -> dict[str, Deployed]:
    """`deployed_releases` of the cluster a kubeconfig context names; ToolError when it cannot."""
    kind = storage_kind(os.environ)
    try:
        with kube.connect(kubeconfig, context=context) as client:
            return deployed_releases(client, kind=kind)
    except kube.KubeError as exc:
        raise ToolError(f"cannot read Helm's releases from the cluster: {exc}") from exc


def _first_readable(kind: str, revisions: list[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The newest revision that decodes (helm skips one that does not, and lists the next)."""
    for record in revisions:
        value = (record.get("data") or {}).get("release")
        if not isinstance(value, str):
            continue
        try:
            # A Secret's data is base64 once more on the wire; a ConfigMap's is the text itself.
            return decode(base64.b64decode(value).decode("ascii") if kind == "Secret" else value)
        except (ValueError, binascii.Error):
            continue
    return None
