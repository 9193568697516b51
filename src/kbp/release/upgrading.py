"""The steps of `kbp deploy`, callable one cluster at a time: build the plan from the live
configuration, diff it against the deployed release, upgrade and wait. `kbp deploy` and
`kbp fleet apply` both run these, so there is one implementation of a journal deploy."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbp import kube
from kbp.platform import helmstore
from kbp.platform.errors import ToolError
from kbp.release import configs, configuring, rollout, schemas
from kbp.release import deploy as deploying


@dataclass(frozen=True)
class Request:
    chart: Path
    env: str
    tag: str
    namespace: str
    release: str = "journal"
    extra_values: tuple[Path, ...] = ()
    kubeconfig: Path | None = None
    context: str | None = None


def prepare(api: kube.KubeClient, request: Request) -> deploying.Plan:
    """The plan for helm, with the live configuration (if the release has one) carried over."""
    now = configuring.find_live(configuring.Target(api, request.namespace, request.release))
    config = None
    if now is not None:
        schema = schemas.SettingsSchema.load(request.chart)
        config = {"version": now.version.number, "settings": schemas.typed_settings(now.data, schema)}
    return deploying.Plan(
        release=request.release,
        namespace=request.namespace,
        chart=request.chart,
        env=request.env,
        tag=request.tag,
        extra_values=request.extra_values,
        kubeconfig=request.kubeconfig,
        context=request.context,
        config=config,
        chart_keys=deploying.setting_keys([request.chart / "values.yaml"]),
    )


def changes(helm: str, plan: deploying.Plan, api: kube.KubeClient) -> deploying.Diff:
    """What an upgrade would change: the deployed manifest against a server-side dry run."""
    before = current_manifest(api, plan)
    with deploying.values_files(plan) as files:
        after = deploying.dry_run_manifest(
            deploying.run_helm(deploying.upgrade_command(helm, plan, files, dry_run=True))
        )
    return deploying.diff(before, after)


def current_manifest(api: kube.KubeClient, plan: deploying.Plan) -> str:
    """The deployed release's manifest, or "" when there is none yet: read from Helm's release
    records through the API (kbp.platform.helmstore), not by a `helm get manifest` process."""
    release = _listed(api, plan)
    return str(release.get("manifest") or "") if release is not None else ""


def live_values(helm: str, api: kube.KubeClient, plan: deploying.Plan) -> dict[str, Any]:
    """The deployed release's computed values (`helm get values --all`), or {} when there is none,
    read from the same records, one API call instead of a helm process. Releases kept where kbp
    does not read them (HELM_DRIVER=sql) are helm's to answer for."""
    try:
        kind = helmstore.storage_kind(os.environ)
    except ToolError:
        return deploying.release_values(helm, plan)
    release = helmstore.listed_release(api, plan.namespace, plan.release, kind=kind)
    return helmstore.computed_values(release) if release is not None else {}


def _listed(api: kube.KubeClient, plan: deploying.Plan) -> dict[str, Any] | None:
    try:
        kind = helmstore.storage_kind(os.environ)
    except ToolError as err:
        raise deploying.DeployError(str(err)) from err
    return helmstore.listed_release(api, plan.namespace, plan.release, kind=kind)


def is_empty(change: deploying.Diff) -> bool:
    return not (change.added or change.removed or change.changed)


def diff_lines(change: deploying.Diff) -> list[str]:
    lines = [f"+ {ref} (new)\n" for ref in change.added] + [f"- {ref} (removed)\n" for ref in change.removed]
    return lines + list(change.changed.values())


def upgrade(
    helm: str, plan: deploying.Plan, api: kube.KubeClient, *, timeout_s: float
) -> tuple[dict[str, Any], rollout.Outcome]:
    """helm upgrade --install, then wait for every workload; returns the previous values and the outcome."""
    previous = live_values(helm, api, plan)
    with deploying.values_files(plan) as files:
        deploying.run_helm(deploying.upgrade_command(helm, plan, files))
    return previous, wait(api, plan, timeout_s=timeout_s)


def wait(api: kube.KubeClient, plan: deploying.Plan, *, timeout_s: float) -> rollout.Outcome:
    return rollout.wait(api, plan.namespace, {configs.INSTANCE: plan.release}, timeout_s=timeout_s)
