"""The command groups by their name on the command line, imported only when asked for.

Each process of the CLI runs one command, and importing every group's module (and what each of
them imports) is about a third of its start-up: `kbp user add` builds only `user`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence

import typer

# name -> (module under kbp.cli, how it joins the app), in the order of `kbp --help`
PARTS: dict[str, tuple[str, str]] = {
    "local": ("local", "register"),
    "lint": ("lint", "register"),
    "cluster": ("cluster", "group"),
    "image": ("image", "group"),
    "ns": ("namespaces", "group"),
    "reap": ("reap", "register"),
    "user": ("users", "group"),
    "team": ("teams", "group"),
    "auth": ("auth", "group"),
    "cluster-services": ("cluster_services", "group"),
    "config": ("config", "group"),
    "deploy": ("deploy", "command"),
    "dev": ("dev", "group"),
    "fleet": ("fleet", "group"),
}


def build(names: Iterable[str] = PARTS) -> typer.Typer:
    """The Typer app with the named commands (all of them by default)."""
    app = typer.Typer(
        name="kbp",
        help="Kubernetes Best Practices, as software.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    # A callback keeps the app a group: with one command and none, Typer would run that command as
    # `kbp` itself, and `kbp deploy ...` would find "deploy" an extra argument.
    app.callback()(_group)
    for name in names:
        module_name, how = PARTS[name]
        module = importlib.import_module(f"kbp.cli.{module_name}")
        if how == "register":
            module.register(app)
        elif how == "group":
            app.add_typer(module.app, name=name)
        else:
            app.command(name)(getattr(module, name))
    return app


def _group() -> None:
    """Kubernetes Best Practices, as software."""


def wanted(argv: Sequence[str]) -> Iterable[str]:
    """The commands a process with these arguments needs: the one it names, else all (help, typos)."""
    return argv[:1] if argv[:1] and argv[0] in PARTS else PARTS
