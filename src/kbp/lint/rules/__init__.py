"""The registry: every rule, in documentation order. A new rule is a module here plus fixtures and docs."""

from __future__ import annotations

from kbp.lint.rulebook import Rule
from kbp.lint.rules import (
    bare_pod,
    bare_replicaset,
    base_image_allowlist,
    base_image_pinned,
    configmap_unversioned,
    duplicate_key,
    exemption_reason,
    image_invalid,
    image_tag_format,
    image_tag_latest,
    image_tag_mutable,
    ingress_missing_service,
    ingress_tls,
    min_replicas,
    missing_limits,
    missing_probes,
    missing_requests,
    namespace_quota,
    privileged_container,
    pvc_needs_statefulset,
    recommended_labels,
    run_as_root,
    secret_in_configmap,
    secret_in_env,
    secret_via_env,
    selector_mismatch,
    service_no_pods,
    statefulset_headless_service,
    unknown_field,
)

ALL: tuple[Rule, ...] = tuple(
    module.RULE
    for module in (
        image_tag_latest,
        image_tag_mutable,
        image_tag_format,
        image_invalid,
        base_image_allowlist,
        base_image_pinned,
        bare_pod,
        bare_replicaset,
        min_replicas,
        missing_requests,
        missing_limits,
        missing_probes,
        selector_mismatch,
        recommended_labels,
        configmap_unversioned,
        secret_in_configmap,
        secret_in_env,
        secret_via_env,
        pvc_needs_statefulset,
        statefulset_headless_service,
        service_no_pods,
        ingress_tls,
        ingress_missing_service,
        namespace_quota,
        privileged_container,
        run_as_root,
        unknown_field,
        duplicate_key,
        exemption_reason,
    )
)
BY_ID: dict[str, Rule] = {rule.id: rule for rule in ALL}
