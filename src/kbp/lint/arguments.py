"""The lint command line, parsed once for both `kbp lint` and `python -m kbp.lint`.

argparse rather than Typer parameters: `python -m kbp.lint` must not pay for building the whole
Typer app (typer 0.29 imports pydantic to build every command's parameters, ~0.3 s per run).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from kbp.lint.report import FORMATS

EPILOG = """\
exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage or input error.
docs: docs/lint.md (rules, config, exemptions, baselines, output formats)"""


def build_parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Lint Kubernetes manifests, Helm charts and Dockerfiles against best practices.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", help="files or directories (recursive); - reads stdin")
    helm = parser.add_argument_group("helm")
    helm.add_argument("--chart", type=Path, help="render this chart with `helm template` and lint it")
    helm.add_argument(
        "-f", "--values", type=Path, action="append", default=[], help="values file (repeatable)"
    )
    helm.add_argument(
        "--set", dest="sets", action="append", default=[], metavar="K=V", help="value (repeatable)"
    )
    helm.add_argument("--release-name", default="release", help="release name (default: release)")
    helm.add_argument("-n", "--namespace", help="release namespace")
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


def main(argv: Sequence[str], prog: str = "kbp lint") -> int:
    """Parse ``argv`` and run lint; returns the exit code (argparse exits 2 itself on bad usage)."""
    from kbp.lint.runner import Request, run  # noqa: PLC0415 - `--help` needs no engine

    args = build_parser(prog).parse_args(list(argv))
    if args.list_rules:
        sys.stdout.write(list_rules(args.output))
        return 0
    request = Request(
        paths=tuple(args.paths),
        chart=args.chart,
        values=tuple(args.values),
        sets=tuple(args.sets),
        release=args.release_name,
        namespace=args.namespace,
        output=args.output,
        config=args.config,
        fail_on=args.fail_on,
        baseline=args.baseline,
        write_baseline=args.write_baseline,
    )
    return run(request)
