"""kbp lint: check manifests, directories, stdin, Helm charts and Dockerfiles against best practices."""

from __future__ import annotations

import typer

# Options are parsed by kbp.lint.arguments (shared with `python -m kbp.lint`), so Typer passes
# everything through untouched, --help included.
PASSTHROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


def lint(ctx: typer.Context) -> None:
    """Lint Kubernetes manifests, charts and Dockerfiles (kbp lint --help for options).

    Exit 0 clean, 1 findings at or above --fail-on, 2 usage or input error.
    """
    from kbp.lint.arguments import main  # noqa: PLC0415 - lazy: keeps `kbp --help` fast

    raise typer.Exit(main(ctx.args))


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.command("lint", context_settings=PASSTHROUGH, add_help_option=False)(lint)
