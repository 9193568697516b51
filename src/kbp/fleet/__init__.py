"""kbp fleet: many clusters as one, from a file in git, with no controller to install.

Errors:

    FleetError               a fleet command failed (exit 1)
    └── FleetFileError       the fleet file or a selector is wrong (exit 2); nothing ran
"""

from __future__ import annotations


class FleetError(Exception):
    """A fleet command failed; the message names the cluster and what went wrong."""


class FleetFileError(FleetError):
    """The fleet file, or a selector given on the command line, is wrong; nothing ran."""
