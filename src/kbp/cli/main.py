"""Entry point. `kbp lint` goes straight to the linter; everything else goes through Typer."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["lint"]:
        # Importing Typer and building every command's parameters costs ~0.3 s (bench/lint.py);
        # lint parses its own options, so it runs without either.
        from kbp.lint.arguments import main as lint_main  # noqa: PLC0415

        raise SystemExit(lint_main(sys.argv[2:]))
    if sys.argv[1:3] == ["auth", "token"] and "--help" not in sys.argv:
        # kubectl's exec plugin: it runs whenever kubectl needs a token, so it skips Typer too.
        from kbp.auth.plugin import main as token_main  # noqa: PLC0415

        raise SystemExit(token_main(sys.argv[3:]))
    if sys.argv[1:3] == ["fleet", "status"] and "--help" not in sys.argv:
        # helmfile list starts now, so that process runs while Typer starts up.
        from kbp.fleet import prefetching  # noqa: PLC0415

        prefetching.start(sys.argv[3:])
    from kbp.cli.commands import build, wanted  # noqa: PLC0415

    build(wanted(sys.argv[1:]))()
