"""kbp dev up | down | status: a developer's own copy of the journal, with one command."""

# ruff: noqa: PLC0415 -- heavy modules load inside the commands, so `kbp --help` stays fast

from __future__ import annotations

import json
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kbp.cli import devlogs
from kbp.cli.options import Context, Kubeconfig, Namespace, Output, client, fail
from kbp.output import Format

if TYPE_CHECKING:
    from kbp.kube import KubeClient
    from kbp.platform.devenv import Developer

app = typer.Typer(
    help="Your own copy of the journal in your namespace, with one command.", no_args_is_help=True
)
Release = Annotated[str, typer.Option("--release", help="Helm release name.")]


class Expose(StrEnum):
    none = "none"
    httproute = "httproute"
    ingress = "ingress"


@app.command()
def up(
    *,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Namespace = None,
    team: Annotated[
        str | None,
        typer.Option("--team", help="Your team, if the namespace must be created (default: your group)."),
    ] = None,
    ttl: Annotated[
        str, typer.Option("--ttl", help="Lifetime of a namespace this creates (7d, 12h, forever).")
    ] = "7d",
    tag: Annotated[str | None, typer.Option("--tag", help="Image tag (default: `kbp image tag`).")] = None,
    expose: Annotated[
        Expose, typer.Option("--expose", help="none (port-forward), or the cluster's gateway or ingress.")
    ] = Expose.none,
    release: Release = "journal",
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds to wait for the rollout.")
    ] = 300.0,
    values: Annotated[
        list[Path] | None,
        typer.Option(
            "--values",
            "-f",
            exists=True,
            dir_okay=False,
            help="More values files, after the dev ones (as kbp deploy takes; e.g. images loaded locally).",
        ),
    ] = None,
    output: Output = Format.table,
) -> None:
    """Create or reuse your namespace, deploy the journal with the dev values, say how to reach it."""
    from kbp import kube
    from kbp.cli.deploy import Env, deploy
    from kbp.namespaces.validation import MetadataError
    from kbp.output import note
    from kbp.platform import devenv

    try:
        api = client(kubeconfig, context)
        developer, ns = _developer_namespace(api, kubeconfig, context, namespace)
        state = devenv.ensure_namespace(
            api, ns, developer=developer, team=devenv.team_of(developer, team), ttl=ttl
        )
    except (kube.KubeError, devenv.DevError) as err:
        raise fail(str(err)) from err
    except MetadataError as err:
        raise fail(str(err), 2) from err
    note(f"namespace {ns}: {state.value}")
    from kbp.charts import journal_chart

    try:
        host = devenv.dev_host(release, ns, _dev_host(journal_chart()))
    except devenv.DevError as err:
        raise fail(str(err)) from err
    with tempfile.TemporaryDirectory(prefix="kbp-dev-") as scratch:
        dev = Path(scratch) / "dev.json"
        dev.write_text(json.dumps(devenv.dev_values(expose.value, host=host)))
        deploy(
            env=Env.dev, tag=tag, values=[dev, *(values or ())], kubeconfig=kubeconfig, context=context,
            namespace=ns, release=release, timeout=timeout, output=output,
        )  # fmt: skip
    if output is Format.table:
        from kbp.release.deploy import url

        where = url({"exposure": {"kind": expose.value, "host": host}})
        for line in devenv.reach(release, ns, where):
            typer.echo(line)


def _developer_namespace(
    api: KubeClient, kubeconfig: Path | None, context: str | None, namespace: str | None
) -> tuple[Developer, str]:
    from kbp import kube
    from kbp.platform import devenv

    developer = devenv.who(api)
    default = kube.context_namespace(kubeconfig, context=context)
    return developer, devenv.namespace_for(developer, explicit=namespace, context_namespace=default)


def _dev_host(chart: Path) -> str:
    """The dev values' shared host, under whose domain each developer's copy gets its own."""
    import yaml

    exposure = (yaml.safe_load((chart / "values-dev.yaml").read_text()) or {}).get("exposure") or {}
    return str(exposure.get("host", ""))


@app.command()
def down(
    *,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Namespace = None,
    release: Release = "journal",
    delete_namespace: Annotated[
        bool, typer.Option("--delete-namespace", help="Also delete the namespace, if kbp made it for you.")
    ] = False,
) -> None:
    """Remove your copy (`helm uninstall`); keep the namespace unless asked."""
    from kbp import kube
    from kbp.lint.errors import HelmError
    from kbp.lint.helm import find_helm
    from kbp.output import note
    from kbp.platform import devenv
    from kbp.release.deploy import DeployError, cluster_flags, run_helm

    try:
        api = client(kubeconfig, context)
        developer, ns = _developer_namespace(api, kubeconfig, context, namespace)
        helm = find_helm()
        flags = cluster_flags(ns, kubeconfig, context)
        listed = json.loads(run_helm([helm, "list", "--output", "json", *flags]) or "[]")
        if any(r.get("name") == release for r in listed):
            run_helm([helm, "uninstall", release, "--wait", *flags])
            note(f"release {release} removed from {ns}")
        else:
            note(f"no release {release} in {ns}")
        if delete_namespace:
            devenv.delete_namespace(api, ns, developer=developer)
            note(f"namespace {ns} deleted")
    except (kube.KubeError, devenv.DevError, HelmError, DeployError) as err:
        raise fail(str(err)) from err


@app.command()
def status(
    *,
    kubeconfig: Kubeconfig = None,
    context: Context = None,
    namespace: Namespace = None,
    release: Release = "journal",
    output: Output = Format.table,
) -> None:
    """Each workload of your copy: ready/desired and images. Exit 1 unless all are ready."""
    from kbp import kube
    from kbp.output import emit
    from kbp.release import configs, rollout

    try:
        api = client(kubeconfig, context)
        _, ns = _developer_namespace(api, kubeconfig, context, namespace)
        workloads = rollout.observe(api, ns, {configs.INSTANCE: release})
    except kube.KubeError as err:
        raise fail(str(err)) from err
    if not workloads:
        raise fail(f"no release {release} in {ns}; run `kbp dev up`")
    rows = [{"object": w.ref, "ready": f"{w.ready}/{w.desired}", "images": list(w.images)} for w in workloads]
    emit(rows, kind="Workload", columns=[("object", "object"), ("ready", "ready"), ("images", "images")],
         fmt=output, title=f"{release} in {ns}")  # fmt: skip
    if not all(w.ready >= w.desired for w in workloads):
        raise typer.Exit(1)


app.command("logs")(devlogs.logs)
