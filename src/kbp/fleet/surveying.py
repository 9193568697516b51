"""`kbp fleet status`: every cluster asked at once; a good answer is cached, a failed one is
replaced by the cached answer and shown as unreachable with its age."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kbp import kube
from kbp.fleet import answers, freshness, observing, view
from kbp.fleet.inventory import Cluster, Fleet
from kbp.fleet.tooling import Tools
from kbp.platform.errors import ToolError


@dataclass(frozen=True)
class Survey:
    items: tuple[dict[str, Any], ...]  # view.item per cluster, in file order

    @property
    def healthy(self) -> bool:
        return all(i["healthy"] for i in self.items)


def survey(
    fleet: Fleet,
    clusters: Sequence[Cluster],
    *,
    expiring_within: timedelta,
    tools: Tools,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Survey:
    cache = answers.cache_dir(fleet.path)
    names = {c.name for c in fleet.clusters}  # every cluster's, not only those picked

    def one(cluster: Cluster) -> dict[str, Any]:
        started = clock()
        try:
            answer = observing.observe(cluster, tools, now=started, expiring_within=expiring_within)
        except (ToolError, kube.KubeError, OSError) as err:
            cached = answers.load(cache, cluster.name)
            fresh = freshness.judge(
                now=clock(), answered_at=None, error=_short(err), cached_at=cached[1] if cached else None
            )
            return view.item(cluster.name, cached[0] if cached else None, fresh)
        with contextlib.suppress(OSError):  # a cache we cannot write costs the offline view only
            answers.save(cache, cluster.name, answer, fleet=names)
        fresh = freshness.judge(now=started, answered_at=started, error=None, cached_at=None)
        return view.item(cluster.name, answer, fresh)

    with ThreadPoolExecutor(max_workers=max(1, len(clusters))) as pool:
        return Survey(tuple(pool.map(one, clusters)))


def _short(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return (text[0] if text else type(err).__name__)[:300]
