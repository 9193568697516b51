"""Versioned configuration decisions: live version, next version, the patch, and what pruning spares."""

from __future__ import annotations

from typing import Any

import pytest

from kbp import metadata
from kbp.release import configs
from kbp.release.configs import ConfigError, ReplicaSetRef, Version

BASE = "journal-config"


def v(n: int) -> Version:
    return Version(n, BASE)


def deployment(configmap: str | None = "journal-config-v3") -> dict[str, Any]:
    volumes = [{"name": "tmp", "emptyDir": {}}]
    if configmap:
        volumes.append({"name": "config", "configMap": {"name": configmap}})
    return {"metadata": {"name": "journal-api"}, "spec": {"template": {"spec": {"volumes": volumes}}}}


def test_the_live_version_is_the_configmap_the_pods_mount() -> None:
    assert configs.live_version(deployment()) == v(3)


@pytest.mark.parametrize(
    ("configmap", "message"),
    [
        pytest.param(None, 'no volume "config"', id="no-volume"),
        pytest.param("journal-config", "is not versioned", id="unversioned"),
        pytest.param("journal-config-v0", "is not versioned", id="version-zero"),
    ],
)
def test_a_deployment_kbp_cannot_version_is_named(configmap: str | None, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        configs.live_version(deployment(configmap))
    assert '"journal-api"' in str(err.value)


def test_versions_are_numeric_not_lexical_and_only_of_this_base() -> None:
    cms = [
        {"metadata": {"name": n}} for n in ("journal-config-v10", "journal-config-v9", "other-config-v1", "x")
    ]
    assert configs.versions(cms, BASE) == [v(9), v(10)]


def test_next_version_skips_past_versions_left_by_a_rollback() -> None:
    assert configs.next_version([v(1), v(2), v(3)], live=v(1)) == v(4)
    assert configs.next_version([], live=v(1)) == v(2)


def test_next_configmap_is_immutable_owned_by_the_helm_release_and_kept() -> None:
    current = {
        "metadata": {
            "name": "journal-config-v1",
            "namespace": "dev",
            "labels": {"app.kubernetes.io/instance": "journal", metadata.CONFIG_VERSION: "1"},
            "annotations": {
                "meta.helm.sh/release-name": "journal",
                "meta.helm.sh/release-namespace": "dev",
                "kubectl.kubernetes.io/last-applied-configuration": "{}",
            },
        }
    }
    cm = configs.next_configmap(current, v(2), {"entries": "20"})
    assert cm["immutable"] is True
    assert cm["metadata"]["name"] == "journal-config-v2"
    assert cm["metadata"]["namespace"] == "dev"
    assert cm["metadata"]["labels"] == {"app.kubernetes.io/instance": "journal", metadata.CONFIG_VERSION: "2"}
    assert cm["metadata"]["annotations"] == {
        "meta.helm.sh/release-name": "journal",
        "meta.helm.sh/release-namespace": "dev",
        "helm.sh/resource-policy": "keep",
    }
    assert cm["data"] == {"entries": "20"}


def test_point_at_patches_only_the_config_volume_and_the_version_annotation() -> None:
    patch = configs.point_at(v(4))
    assert patch["spec"]["template"]["spec"]["volumes"] == [
        {"name": "config", "configMap": {"name": "journal-config-v4"}}
    ]
    assert patch["metadata"]["annotations"] == {metadata.CONFIG_VERSION: "4"}


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(20, "20", id="int"),
        pytest.param(2.0, "2", id="integral-float"),
        pytest.param(2.5, "2.5", id="float"),
        pytest.param(1048576, "1048576", id="large-int"),
        pytest.param("debug", "debug", id="string"),
    ],
)
def test_as_text_matches_what_the_chart_renders(value: int | float | str, text: str) -> None:
    assert configs.as_text(value) == text


def rs(revision: int, version: int, replicas: int = 0) -> ReplicaSetRef:
    return ReplicaSetRef(revision, v(version).name, replicas)


def test_replicasets_keep_the_newest_revisions_and_any_with_pods() -> None:
    refs = [rs(1, 1, replicas=2), rs(2, 2), rs(3, 3), rs(4, 4), rs(5, 5, replicas=2)]
    # limit 2: the current (5) plus two old revisions (4, 3); 1 still has pods mid-rollout.
    assert configs.kept_by_replicasets(refs, 2) == {v(1).name, v(3).name, v(4).name, v(5).name}


def test_after_six_sets_with_retention_three_only_what_replicasets_need_survives() -> None:
    existing = [v(n) for n in range(1, 8)]
    refs = [rs(n, n, replicas=2 if n == 7 else 0) for n in range(1, 8)]
    kept = configs.kept_by_replicasets(refs, 4)  # revisions 7, 6, 5, 4, 3
    assert [x.number for x in configs.prunable(existing, v(7), kept, retention=3)] == [1, 2]
    assert [x.number for x in configs.prunable(existing, v(7), set(), retention=3)] == [1, 2, 3, 4]


def test_the_live_version_is_never_pruned_even_after_a_rollback() -> None:
    existing = [v(n) for n in range(1, 6)]
    assert v(1) not in configs.prunable(existing, v(1), set(), retention=2)


def test_replicaset_ref_reads_revision_configmap_and_replicas() -> None:
    obj = {
        "metadata": {"annotations": {"deployment.kubernetes.io/revision": "7"}},
        "spec": {"replicas": 0, "template": deployment("journal-config-v5")["spec"]["template"]},
        "status": {"replicas": 1},
    }
    assert configs.replicaset_ref(obj) == ReplicaSetRef(7, "journal-config-v5", 1)
