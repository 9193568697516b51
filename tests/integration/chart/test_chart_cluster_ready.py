"""What the chart needs on a real cluster: one ServiceAccount for every pod (workload identity),
acknowledgement settings the Redis topology can meet, names within Kubernetes' limits for the
longest release name, Redis spread over zones and nodes, Sentinel in prod, and probes that let a
loading Redis live. Rendered by the real helm 4; the install of the longest name is in
test_chart_install.py."""

from __future__ import annotations

import re
from typing import Any

import pytest

from support.charts import CHART, LONGEST_RELEASE, PROD, Helm, one, pod_specs

pytestmark = pytest.mark.helm
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def all_pod_specs(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    specs = dict(pod_specs(objects))
    specs |= {f"Pod/{o['metadata']['name']}": o["spec"] for o in objects if o["kind"] == "Pod"}
    return specs


def test_every_pod_runs_as_the_releases_service_account(helm: Helm) -> None:
    annotation = "eks.amazonaws.com/role-arn"
    escaped = annotation.replace(".", "\\.")
    objects = helm.template(sets=[f"serviceAccount.annotations.{escaped}=arn:aws:iam::1:role/j"])
    account = one(objects, "ServiceAccount", "journal")
    assert account["metadata"]["annotations"] == {annotation: "arn:aws:iam::1:role/j"}
    assert account["automountServiceAccountToken"] is False
    specs = all_pod_specs(objects)
    assert len(specs) == 5, sorted(specs)  # api, fileserver, two StatefulSets, the helm test
    for where, spec in specs.items():
        assert spec["serviceAccountName"] == "journal", where
        assert spec["automountServiceAccountToken"] is False, where


def test_an_existing_service_account_is_used_and_none_is_created(helm: Helm) -> None:
    objects = helm.template(sets=["serviceAccount.create=false", "serviceAccount.name=workload-identity"])
    assert [o for o in objects if o["kind"] == "ServiceAccount"] == []
    for where, spec in all_pod_specs(objects).items():
        assert spec["serviceAccountName"] == "workload-identity", where


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        pytest.param(
            ["config.settings.replica_acks=3"],
            "config.settings.replica_acks=3 exceeds redis.replicas=2",
            id="more-acks-than-replicas",
        ),
        pytest.param(
            ["redis.replicas=2", "config.settings.replica_acks=5"],
            "config.settings.replica_acks=5 exceeds redis.replicas=2",
            id="more-acks-than-replicas-set-together",
        ),
        pytest.param(
            ["redis.replicas=1"],
            "config.settings.replica_acks=1 with redis.replicas=1",
            id="ack-on-a-single-replica",
        ),
    ],
)
def test_acknowledgements_the_replicas_cannot_give_are_refused_naming_both_keys(
    helm: Helm, sets: list[str], message: str
) -> None:
    args = [a for s in sets for a in ("--set", s)]
    result = helm.run("template", "journal", str(CHART), *args, check=False)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_no_acknowledgement_on_a_single_replica_renders(helm: Helm) -> None:
    objects = helm.template(sets=["redis.replicas=1", "config.settings.replica_acks=0"])
    assert one(objects, "StatefulSet", "journal-redis-replica")["spec"]["replicas"] == 1


def labels_of(obj: dict[str, Any]) -> dict[str, str]:
    labels = dict(obj["metadata"].get("labels") or {})
    template = obj.get("spec", {}).get("template", {}).get("metadata", {})
    return labels | (template.get("labels") or {})


def test_the_longest_release_name_keeps_every_name_within_limits(helm: Helm) -> None:
    assert len(LONGEST_RELEASE) == 53
    for values in ((), (PROD,)):
        objects = helm.template(release=LONGEST_RELEASE, values=values, sets=["redis.sentinel.enabled=true"])
        for obj in objects:
            name = obj["metadata"]["name"]
            where = f"{obj['kind']}/{name}"
            assert len(name) <= 63, where
            assert DNS_LABEL.match(name), where
            for key, value in labels_of(obj).items():
                assert len(str(value)) <= 63, f"{where}: label {key}={value}"
            if obj["kind"] == "StatefulSet":
                # controller-revision-hash=<name>-<10 characters> on every pod must be a label value.
                assert len(name) <= 52, where
                pods = obj["spec"]["replicas"]
                assert len(f"{name}-{pods - 1}") <= 63, where
                for claim in obj["spec"]["volumeClaimTemplates"]:
                    assert len(f"{claim['metadata']['name']}-{name}-{pods - 1}") <= 63, where


@pytest.mark.parametrize("values", [(), (PROD,)])
def test_redis_spreads_over_zones_as_well_as_nodes(helm: Helm, values: tuple[Any, ...]) -> None:
    objects = helm.template(values=values)
    for name in ("journal-redis", "journal-redis-replica"):
        spec = one(objects, "StatefulSet", name)["spec"]["template"]["spec"]
        anti = spec["affinity"]["podAntiAffinity"]
        terms = [t.get("podAffinityTerm", t) for rule in anti.values() for t in rule]
        assert {t["topologyKey"] for t in terms} == {"kubernetes.io/hostname"}
        [zone] = [
            c for c in spec["topologySpreadConstraints"] if c["topologyKey"] == "topology.kubernetes.io/zone"
        ]
        expressions = {e["key"]: e["values"] for e in zone["labelSelector"]["matchExpressions"]}
        assert expressions["app.kubernetes.io/component"] == ["redis-primary", "redis-replica"]
        assert expressions["app.kubernetes.io/instance"] == ["journal"]
        assert zone["maxSkew"] == 1


def test_prod_runs_sentinel(helm: Helm) -> None:
    objects = helm.template(values=(PROD,))
    for name in ("journal-redis", "journal-redis-replica"):
        containers = one(objects, "StatefulSet", name)["spec"]["template"]["spec"]["containers"]
        assert "sentinel" in {c["name"] for c in containers}, name


def test_redis_liveness_and_startup_tolerate_loading_and_readiness_does_not(helm: Helm) -> None:
    for name in ("journal-redis", "journal-redis-replica"):
        [redis] = [
            c
            for c in one(helm.template(), "StatefulSet", name)["spec"]["template"]["spec"]["containers"]
            if c["name"] == "redis"
        ]
        probe = ["sh", "/opt/journal-redis/probe.sh"]
        assert redis["livenessProbe"]["exec"]["command"] == [*probe, "live"]
        assert redis["startupProbe"]["exec"]["command"] == [*probe, "live"]
        assert redis["readinessProbe"]["exec"]["command"] == probe
