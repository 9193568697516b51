"""kbp cluster: a real local control plane (being written)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Run a real local Kubernetes control plane.", no_args_is_help=True)
