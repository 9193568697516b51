"""helm and helmfile for a fleet command, found once, and what each services file switches on.

`helmfile list` depends on the file and environment, not on a cluster: it runs once per
(file, environment), in the background from the moment the fleet file is read, so it overlaps
kbp's own start-up and the clusters' API calls instead of adding to them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from kbp.fleet import FleetError
from kbp.fleet.inventory import Cluster
from kbp.platform import planning, running
from kbp.platform.errors import ToolError

Key = tuple[str, str]  # (services file, environment)


@dataclass(frozen=True)
class Tools:
    helm: running.Target | None  # None when no cluster has services (helmfile is not needed then)
    services: Mapping[Key, planning.Services]
    pending: Mapping[Key, Future[set[str]]]

    def enabled(self, key: Key) -> set[str]:
        """The release keys `key`'s environment switches on; FleetError if helmfile failed, since
        that says nothing about any cluster."""
        try:
            return self.pending[key].result()
        except ToolError as err:
            raise FleetError(f"{key[0]} ({key[1]}): {err}") from err

    def target(self, cluster: Cluster, *, timeout_s: float = 900.0) -> running.Target:
        """helmfile and helm pointed at this cluster."""
        assert self.helm is not None, "start() found helm and helmfile for every cluster with services"
        h = self.helm
        return running.Target(h.helmfile, h.helm, cluster.kubeconfig, cluster.context, timeout_s)


def start(clusters: Sequence[Cluster]) -> Tools:
    """Read every services file (PinError on a bad pin, before anything runs) and start asking
    helmfile what each environment runs."""
    if all(c.services is None for c in clusters):
        return Tools(None, {}, {})
    base = running.target()
    files: dict[Key, planning.Services] = {}
    for c in clusters:
        if c.services is not None:
            key = (str(c.services.file), c.services.environment)
            if key not in files:
                files[key] = planning.Services.read(c.services.file, c.services.environment)
    pool = ThreadPoolExecutor(max_workers=len(files), thread_name_prefix="helmfile-list")
    pending = {key: pool.submit(planning.enabled_releases, s, base) for key, s in files.items()}
    pool.shutdown(wait=False)  # the submitted calls still run; nothing else will be
    return Tools(base, files, pending)
