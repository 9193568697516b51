"""Waves, run: each wave's clusters applied at once; the next wave starts only if all are healthy."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from kbp import kube
from kbp.fleet import waves
from kbp.fleet.applying import Change
from kbp.fleet.inventory import Cluster, Wave
from kbp.lint.errors import HelmError
from kbp.platform.errors import ToolError
from kbp.release.configs import ConfigError
from kbp.release.deploy import DeployError
from kbp.release.schemas import SettingError

FAILURES = (ToolError, kube.KubeError, DeployError, ConfigError, SettingError, HelmError, OSError)


def roll(
    planned: Sequence[Wave],
    picked: Sequence[Cluster],
    apply_one: Callable[[Cluster], Change],
    *,
    dry_run: bool,
    on_wave: Callable[[waves.Step], None] = lambda _: None,
) -> tuple[waves.Report, dict[str, Change]]:
    """Apply wave by wave; a dry run visits every wave, since it changes nothing."""
    steps = waves.plan(planned, picked)
    changes: dict[str, Change] = {}
    done: dict[str, list[waves.Result]] = {}
    for step in steps:
        on_wave(step)
        with ThreadPoolExecutor(max_workers=len(step.clusters)) as pool:
            results = list(pool.map(lambda c: _guarded(apply_one, c), step.clusters))
        changes.update({c.cluster: c for c in results})
        done[step.name] = [waves.Result(c.cluster, c.healthy, c.detail) for c in results]
        if not dry_run and not waves.should_continue(done[step.name]):
            break
    return waves.report(steps, done), changes


def _guarded(apply_one: Callable[[Cluster], Change], cluster: Cluster) -> Change:
    try:
        return apply_one(cluster)
    except FAILURES as err:
        return Change(cluster.name, False, str(err).strip()[:2000])
