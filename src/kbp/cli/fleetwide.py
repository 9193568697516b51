"""Cluster-wide commands through the fleet: `--fleet SELECTOR` runs one on every cluster it picks.

Without `--fleet`, the command runs once with its own `--kubeconfig`/`--context`, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from kbp.cli.options import fail

DEFAULT_FLEET_FILE = Path("deploy/fleet.yaml")
FleetSelector = Annotated[
    str | None,
    typer.Option(
        "--fleet",
        help="Run on every cluster of the fleet file these labels pick (env=dev; '' for all), not one.",
    ),
]
FleetFile = Annotated[
    Path,
    typer.Option("--fleet-file", help="The fleet file (clusters, labels, waves).", envvar="KBP_FLEET"),
]


@dataclass(frozen=True)
class Target:
    cluster: str | None  # None: the one cluster of --kubeconfig/--context
    kubeconfig: Path | None
    context: str | None


def targets(
    selector: str | None, fleet_file: Path, kubeconfig: Path | None, context: str | None
) -> list[Target]:
    """The clusters to run on, or exit 2 naming what is wrong with the fleet file or selector."""
    if selector is None:
        return [Target(None, kubeconfig, context)]
    from kbp.fleet import FleetFileError, inventory  # noqa: PLC0415

    try:
        picked = inventory.load(fleet_file).select(selector)
    except FleetFileError as exc:
        raise fail(str(exc), 2) from exc
    return [Target(c.name, c.kubeconfig, c.context) for c in picked]
