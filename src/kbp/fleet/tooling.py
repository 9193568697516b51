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
from kbp.platform.drift import Deployed
from kbp.platform.errors import ToolError

Key = tuple[str, str]  # (services file, environment)
LIST_TIMEOUT_S = 20.0  # a `helm list` that takes longer is a cluster not answering


@dataclass(frozen=True)
class Tools:
    helm: running.Target | None  # None when no cluster has services (helmfile is not needed then)
    services: Mapping[Key, planning.Services]
    pending: Mapping[Key, Future[set[str]]]
    helm_lists: Mapping[str, Future[dict[str, Deployed]]]  # cluster -> `helm list -A`, started early

    def enabled(self, key: Key) -> set[str]:
        """The release keys `key`'s environment switches on; FleetError if helmfile failed, since
        that says nothing about any cluster."""
        try:
            return self.pending[key].result()
        except ToolError as err:
            raise FleetError(f"{key[0]} ({key[1]}): {err}") from err

    def deployed(self, cluster: Cluster) -> dict[str, Deployed] | None:
        """The cluster's `helm list`, if started early (ToolError if it failed), else None."""
        found = self.helm_lists.get(cluster.name)
        return found.result() if found is not None else None

    def target(self, cluster: Cluster, *, timeout_s: float = 900.0) -> running.Target:
        """helmfile and helm pointed at this cluster."""
        assert self.helm is not None, "start() found helm and helmfile for every cluster with services"
        h = self.helm
        return running.Target(h.helmfile, h.helm, cluster.kubeconfig, cluster.context, timeout_s)


def start(clusters: Sequence[Cluster], *, listing: bool = False) -> Tools:
    """Read every services file (PinError on a bad pin, before anything runs) and start asking
    helmfile what each environment runs; with `listing`, also each cluster's `helm list`."""
    if all(c.services is None for c in clusters):
        return Tools(None, {}, {}, {})
    base = running.target()
    files: dict[Key, planning.Services] = {}
    for c in clusters:
        if c.services is not None:
            key = (str(c.services.file), c.services.environment)
            if key not in files:
                files[key] = planning.Services.read(c.services.file, c.services.environment)
    picked = [c for c in clusters if c.services is not None]
    pool = ThreadPoolExecutor(max_workers=len(files) + len(picked), thread_name_prefix="helm")
    pending = {key: pool.submit(planning.enabled_releases, s, base) for key, s in files.items()}
    tools = Tools(base, files, pending, {})
    if listing:
        lists = {
            c.name: pool.submit(running.deployed_releases, tools.target(c, timeout_s=LIST_TIMEOUT_S))
            for c in picked
        }
        tools = Tools(base, files, pending, lists)
    pool.shutdown(wait=False)  # the submitted calls still run; nothing else will be
    return tools
