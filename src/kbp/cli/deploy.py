"""kbp deploy: the journal chart onto a cluster, with an immutable tag and the live configuration."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kbp.cli.options import Context, Kubeconfig, Namespace, Output, fail
from kbp.output import Format

if TYPE_CHECKING:
    from kbp.kube import KubeClient
    from kbp.release.deploy import Plan


class Env(StrEnum):
    dev = "dev"
    prod = "prod"


def deploy(
    *,
    env: Annotated[Env, typer.Option("--env", "-e", help="Which values-<env>.yaml of the chart to use.")],
    tag: Annotated[
        str | None, typer.Option("--tag", help="Image tag (default: `kbp image tag` of this checkout).")
    ] = None,
    values: Annotated[
        list[Path] | None,
        typer.Option("--values", "-f", exists=True, dir_okay=False, help="More values files (e.g. digests)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Namespace = None,
    release: Annotated[str, typer.Option("--release", help="Helm release name.")] = "journal",
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Chart directory (default: charts/journal).")
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds to wait for the rollout.")
    ] = 300.0,
    output: Output = Format.table,
) -> None:
    """helm upgrade --install the journal, wait for every workload, print what runs where.

    Exit 0 ready, 1 helm or the rollout failed (each object not ready is named, with the reason from
    its events; the previous pods keep serving), 2 bad input.
    """
    from kbp import kube  # noqa: PLC0415 -- lightkube is slow to import
    from kbp.cli.options import client  # noqa: PLC0415
    from kbp.lint.errors import HelmError  # noqa: PLC0415
    from kbp.lint.helm import find_helm  # noqa: PLC0415
    from kbp.release import configs, schemas, upgrading  # noqa: PLC0415
    from kbp.release import deploy as deploying  # noqa: PLC0415

    chart_dir = chart or _chart()
    if not (chart_dir / f"values-{env.value}.yaml").is_file():
        raise fail(f"chart {chart_dir}: no values-{env.value}.yaml", 2)
    image_tag = tag or _checkout_tag()
    try:
        helm = find_helm()
        ns = namespace or kube.context_namespace(kubeconfig, context=context)
        api = client(kubeconfig, context, ns)
        request = upgrading.Request(
            chart=chart_dir,
            env=env.value,
            tag=image_tag,
            namespace=ns,
            release=release,
            extra_values=tuple(values or ()),
            kubeconfig=kubeconfig,
            context=context,
        )
        plan = upgrading.prepare(api, request)
        if dry_run:
            _show_diff(helm, plan, api)
            return
        _run(helm, plan, api, timeout, output)
    except (
        HelmError,
        kube.KubeError,
        configs.ConfigError,
        schemas.SettingError,
        deploying.DeployError,
    ) as err:
        raise fail(str(err)) from err


def _checkout_tag() -> str:
    from kbp.release import git, tags  # noqa: PLC0415

    try:
        return tags.compute(git.read_checkout(Path("."))).tag
    except tags.DirtyTreeError as err:
        raise fail(f"{err} (or pass --tag)") from err
    except tags.TagError as err:
        raise fail(f"{err} (or pass --tag)", 2) from err


def _show_diff(helm: str, plan: Plan, api: KubeClient) -> None:
    from kbp.release import upgrading  # noqa: PLC0415

    change = upgrading.changes(helm, plan, api)
    for text in upgrading.diff_lines(change):
        typer.echo(text, nl=False)
    if upgrading.is_empty(change):
        typer.echo(f"release {plan.release} in {plan.namespace}: no change")


def _run(helm: str, plan: Plan, api: KubeClient, timeout: float, output: Format) -> None:
    from kbp.output import emit, note, progress  # noqa: PLC0415
    from kbp.release import deploy as deploying  # noqa: PLC0415
    from kbp.release import upgrading  # noqa: PLC0415

    with progress(f"upgrading release {plan.release} in {plan.namespace} and waiting for it"):
        previous, outcome = upgrading.upgrade(helm, plan, api, timeout_s=timeout)
    address = deploying.url(upgrading.live_values(helm, api, plan))
    rows = [
        {
            "object": w.ref,
            "ready": f"{w.ready}/{w.desired}",
            "images": [image.rsplit("/", 1)[-1].split("@")[0] for image in w.images],
            "url": address,
        }
        for w in outcome.workloads
    ]
    columns = [("object", "object"), ("ready", "ready"), ("images", "images")]
    title = f"{plan.release} in {plan.namespace} ({plan.env}, {plan.tag})" + (
        f" at {address}" if address else ""
    )
    emit(rows, kind="Workload", columns=columns, fmt=output, title=title)
    if not outcome.ok:
        for ref, reason in outcome.reasons.items():
            typer.echo(f"error: {ref} not ready: {reason}", err=True)
        old = (previous.get("image") or {}).get("api", {}).get("tag")
        hint = f"; to return to the previous tag: kbp deploy --env {plan.env} --tag {old}" if old else ""
        note(f"the previous ReplicaSets keep serving until the new pods are ready{hint}")
        raise typer.Exit(1)


def _chart() -> Path:
    from kbp.charts import ChartNotFoundError, journal_chart  # noqa: PLC0415

    try:
        return journal_chart()
    except ChartNotFoundError as err:
        raise fail(str(err), 2) from err
