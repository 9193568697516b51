"""Entry point: assembles the command groups; heavy modules load inside commands so --help stays fast."""

from __future__ import annotations

import sys

import typer

from kbp.cli import cluster, lint, local

app = typer.Typer(
    name="kbp",
    help="Kubernetes Best Practices, as software.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
local.register(app)
lint.register(app)
app.add_typer(cluster.app, name="cluster")


def main() -> None:
    if sys.argv[1:2] == ["lint"]:
        # Typer builds every command's parameters before dispatching (~0.3 s measured by
        # bench/lint.py); lint parses its own options, so it skips that and runs at once.
        from kbp.lint.arguments import main as lint_main  # noqa: PLC0415

        raise SystemExit(lint_main(sys.argv[2:]))
    app()
