"""kbp lint: check manifests, directories, stdin, Helm charts and Dockerfiles against best practices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

PathsArg = Annotated[
    list[str] | None,
    typer.Argument(help="Files or directories (recursive) to lint; - reads stdin.", show_default=False),
]
ChartOpt = Annotated[
    Path | None, typer.Option("--chart", help="Render this Helm chart with helm template and lint it.")
]
ValuesOpt = Annotated[
    list[Path] | None, typer.Option("-f", "--values", help="Values file for --chart (repeatable).")
]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="k=v for --chart (repeatable).")]
ReleaseOpt = Annotated[str, typer.Option("--release-name", help="Release name for --chart.")]
NamespaceOpt = Annotated[str | None, typer.Option("-n", "--namespace", help="Namespace for --chart.")]
OutputOpt = Annotated[str, typer.Option("-o", "--output", help="text | json | sarif | junit.")]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Lint config YAML (default: ./kbp-lint.yaml if present).")
]
FailOnOpt = Annotated[
    str | None, typer.Option("--fail-on", help="Exit 1 at this severity or above: info | warning | error.")
]
BaselineOpt = Annotated[
    Path | None, typer.Option("--baseline", help="Report only findings not in this baseline.")
]
WriteBaselineOpt = Annotated[
    Path | None, typer.Option("--write-baseline", help="Record current findings as the baseline and exit 0.")
]


def lint(
    paths: PathsArg = None,
    *,
    chart: ChartOpt = None,
    values: ValuesOpt = None,
    set_: SetOpt = None,
    release: ReleaseOpt = "release",
    namespace: NamespaceOpt = None,
    output: OutputOpt = "text",
    config: ConfigOpt = None,
    fail_on: FailOnOpt = None,
    baseline: BaselineOpt = None,
    write_baseline: WriteBaselineOpt = None,
) -> None:
    """Lint Kubernetes manifests. Exit 0 clean, 1 findings at/above --fail-on, 2 usage or input error."""
    from kbp.lint.runner import Request, run  # noqa: PLC0415 - lazy: keeps `kbp --help` fast

    request = Request(
        paths=tuple(paths or ()),
        chart=chart,
        values=tuple(values or ()),
        sets=tuple(set_ or ()),
        release=release,
        namespace=namespace,
        output=output,
        config=config,
        fail_on=fail_on,
        baseline=baseline,
        write_baseline=write_baseline,
    )
    raise typer.Exit(run(request))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("lint")(lint)
