"""The lint command line, parsed once for both `kbp lint` and `python -m kbp.lint`.

argparse rather than Typer parameters: `python -m kbp.lint` must not pay for building the whole
Typer app (typer 0.29 imports pydantic to build every command's parameters, ~0.3 s per run).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbp.lint.report import FORMATS

if TYPE_CHECKING:
    from kbp.lint.runner import Request

EPILOG = """\
several releases in one run: -f, --set, --release-name and -n apply to the --chart before them
(or, given before any --chart, to the first), so each chart is its own release:
  kbp lint --helmfile deploy/cluster-services -e prod \\
    --chart charts/journal -f charts/journal/values-prod.yaml --release-name journal -n journal \\
    --chart deploy/reaper -n kbp-system .github/workflows/ci.yml

exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or input error.
docs: docs/lint.md (rules, config, exemptions, baselines, output formats, several releases)"""


def _new_chart(path: Path) -> dict[str, Any]:
    return {"path": path, "values": [], "sets": [], "release": "release", "namespace": None}


class _ChartAction(argparse.Action):
    """`--chart DIR` starts a chart; the options given before any --chart go to the first."""

    def __call__(self, parser: Any, namespace: Any, value: Any, option: str | None = None) -> None:
        chart = _new_chart(Path(value))
        pending = getattr(namespace, "pending", None)
        if not namespace.charts and pending:
            chart.update({k: v for k, v in pending.items() if k != "path"})
            namespace.pending = None
        namespace.charts.append(chart)


class _ChartOption(argparse.Action):
    """An option of the chart before it (``-f``, ``--set``: repeatable; the others: the last wins)."""

    def __call__(self, parser: Any, namespace: Any, value: Any, option: str | None = None) -> None:
        if namespace.charts:
            target = namespace.charts[-1]
        else:
            if getattr(namespace, "pending", None) is None:
                namespace.pending = _new_chart(Path())
            target = namespace.pending
        if isinstance(target[self.dest], list):
            target[self.dest].append(value)
        else:
            target[self.dest] = value


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Lint Kubernetes manifests, Helm charts and Dockerfiles against best practices.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", help="files or directories (recursive); - reads stdin")
    helm = parser.add_argument_group("helm (repeat --chart for several releases)")
    parser.set_defaults(charts=[], pending=None)
    helm.add_argument(
        "--chart",
        action=_ChartAction,
        metavar="DIR",
        help="render this chart with `helm template` and lint it",
    )
    helm.add_argument("-f", "--values", type=Path, action=_ChartOption, help="values file (repeatable)")
    helm.add_argument("--set", dest="sets", action=_ChartOption, metavar="K=V", help="value (repeatable)")
    helm.add_argument(
        "--release-name", dest="release", action=_ChartOption, help="release name (default: release)"
    )
    helm.add_argument(
        "-n", "--namespace", action=_ChartOption, help="release namespace (default: default, as helm)"
    )
    helm.add_argument(
        "--helmfile",
        type=Path,
        metavar="FILE",
        help="a helmfile (or its directory): its releases, with local charts rendered",
    )
    helm.add_argument(
        "--api-versions",
        action="append",
        default=[],
        metavar="GROUP/VERSION[/KIND]",
        help="an API the target cluster serves, for every chart (repeatable; helm template's flag); "
        "--helmfile adds those its well-known charts install",
    )
    helm.add_argument(
        "-e",
        "--env",
        dest="environment",
        default="default",
        help="the helmfile's environment (default: default)",
    )
    parser.add_argument(
        "-o", "--output", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument("--config", type=Path, help="config YAML (default: ./kbp-lint.yaml if present)")
    parser.add_argument(
        "--fail-on",
        choices=("info", "warning", "error"),
        help="exit 1 at this severity or above (default: warning)",
    )
    parser.add_argument("--baseline", type=Path, help="report only findings not in this baseline file")
    parser.add_argument("--write-baseline", type=Path, help="record current findings as the baseline, exit 0")
    parser.add_argument("--list-rules", action="store_true", help="print every rule (id, severity, summary)")
    return parser


def list_rules(output: str) -> str:
    from kbp.lint.rules import ALL  # noqa: PLC0415 - only for --list-rules

    if output == "json":
        import json  # noqa: PLC0415

        items = [
            {"id": r.id, "severity": r.severity.label, "category": r.category, "summary": r.summary}
            for r in ALL
        ]
        return (
            json.dumps({"apiVersion": "kbp.dev/v1", "kind": "LintRuleList", "items": items}, indent=2) + "\n"
        )
    return "".join(f"{r.id:<30} {r.severity.label:<8} {r.category:<12} {r.summary}\n" for r in ALL)


def parse(argv: Sequence[str], prog: str = "kbp lint") -> Request | None:
    """The lint request ``argv`` asks for; None for --list-rules (printed here)."""
    from kbp.lint.runner import Chart, Request  # noqa: PLC0415 - `--help` needs no engine

    parser = build_parser(prog)
    args = parser.parse_args(list(argv))
    if args.list_rules:
        sys.stdout.write(list_rules(args.output))
        return None
    if args.pending is not None:
        parser.error("-f/--values, --set, --release-name and -n/--namespace apply to a --chart")
    return Request(
        paths=tuple(args.paths),
        charts=tuple(
            Chart(c["path"], tuple(c["values"]), tuple(c["sets"]), c["release"], c["namespace"])
            for c in args.charts
        ),
        helmfile=args.helmfile,
        environment=args.environment,
        api_versions=tuple(args.api_versions),
        output=args.output,
        config=args.config,
        fail_on=args.fail_on,
        baseline=args.baseline,
        write_baseline=args.write_baseline,
    )


def main(argv: Sequence[str], prog: str = "kbp lint") -> int:
    """Parse ``argv`` and run lint; returns the exit code (argparse exits 2 itself on bad usage)."""
    from kbp.lint.runner import run  # noqa: PLC0415 - `--help` needs no engine

    request = parse(argv, prog)
    return 0 if request is None else run(request)
