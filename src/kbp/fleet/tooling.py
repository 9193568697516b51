"""helm and helmfile for a fleet command, found once, and what each services file switches on.

`helmfile list` depends on the file and environment, not on a cluster: it runs once per
(file, environment), as a process started the moment the fleet file is read, so it overlaps
kbp's own start-up and the clusters' API calls instead of adding to them. Which releases a
cluster runs is read from its API (kbp.platform.helmstore), in the thread that asks it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kbp.fleet import FleetError
from kbp.fleet.inventory import Cluster
from kbp.platform import helmstore, planning, running
from kbp.platform.errors import ToolError

Key = tuple[str, str]  # (services file, environment)


@dataclass(frozen=True)
class Tools:
    helm: running.Target | None  # None when no cluster has services (helmfile is not needed then)
    services: Mapping[Key, planning.Services]
    pending: Mapping[Key, running.Running]  # `helmfile list` per services file and environment
    storage: str = "Secret"  # the kind Helm keeps its releases in (HELM_DRIVER)

    def enabled(self, key: Key) -> set[str]:
        """The release keys `key`'s environment switches on; FleetError if helmfile failed, since
        that says nothing about any cluster."""
        try:
            return running.parse_enabled(self.pending[key].output())
        except ToolError as err:
            raise FleetError(f"{key[0]} ({key[1]}): {err}") from err

    def target(self, cluster: Cluster, *, timeout_s: float = 900.0) -> running.Target:
        """helmfile and helm pointed at this cluster."""
        assert self.helm is not None, "start() found helm and helmfile for every cluster with services"
        h = self.helm
        return running.Target(h.helmfile, h.helm, cluster.kubeconfig, cluster.context, timeout_s)

    def stop(self) -> None:
        """End the `helmfile list` processes still running (the command is over, or failed early)."""
        for listing in self.pending.values():
            listing.stop()


def start(clusters: Sequence[Cluster]) -> Tools:
    """Read every services file (PinError on a bad pin, before anything runs) and start asking
    helmfile what each environment runs; ToolError when helm, helmfile or Helm's storage is unusable."""
    if all(c.services is None for c in clusters):
        return Tools(None, {}, {})
    storage = helmstore.storage_kind(os.environ)
    base = running.target()
    files: dict[Key, planning.Services] = {}
    for c in clusters:
        if c.services is not None:
            key = (str(c.services.file), c.services.environment)
            if key not in files:
                files[key] = planning.Services.read(c.services.file, c.services.environment)
    pending = {key: running.list_enabled(base, s.file, s.environment) for key, s in files.items()}
    return Tools(base, files, pending, storage)
