"""The Typer application: every command group, assembled (kbp.cli.commands)."""

from __future__ import annotations

from kbp.cli.commands import build

app = build()
