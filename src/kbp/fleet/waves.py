"""Waves: the order `kbp fleet apply` rolls out in, and when it must stop (pure).

A picked cluster joins the first wave whose selector matches it; clusters no wave matches go last,
in a wave named "rest". With no waves in the file, every picked cluster is one wave. A wave starts
only when every cluster of the one before is healthy (Argo CD's RollingSync steps, Fleet's
partitions): the first failure stops the rollout, and the rest is reported as not started.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from kbp.fleet.inventory import Cluster, Wave

REST = "rest"
ALL = "all"


@dataclass(frozen=True)
class Step:
    name: str
    clusters: tuple[Cluster, ...]


def plan(waves: Sequence[Wave], picked: Sequence[Cluster]) -> tuple[Step, ...]:
    """The waves in order, each with its picked clusters in file order; empty waves left out."""
    if not waves:
        return (Step(ALL, tuple(picked)),) if picked else ()
    members: dict[str, list[Cluster]] = {w.name: [] for w in waves}
    rest: list[Cluster] = []
    for cluster in picked:
        wave = next((w for w in waves if w.selector.matches(cluster.labels)), None)
        (members[wave.name] if wave else rest).append(cluster)
    steps = [Step(w.name, tuple(members[w.name])) for w in waves if members[w.name]]
    return tuple(steps + ([Step(REST, tuple(rest))] if rest else []))


class Outcome(StrEnum):
    healthy = "healthy"  # applied (or unchanged) and every workload ready
    failed = "failed"
    not_started = "not-started"  # an earlier wave failed


@dataclass(frozen=True)
class Result:
    cluster: str
    healthy: bool
    detail: str  # what changed, or why it is not healthy


@dataclass(frozen=True)
class Report:
    """Where the rollout got to: each cluster's outcome, and the wave it stopped in, if it did."""

    outcomes: Mapping[str, tuple[str, Outcome, str]]  # cluster -> (wave, outcome, detail)
    stopped_in: str | None

    @property
    def ok(self) -> bool:
        return self.stopped_in is None


def should_continue(results: Sequence[Result]) -> bool:
    """The next wave starts only when every cluster of this one is healthy."""
    return all(r.healthy for r in results)


def report(steps: Sequence[Step], done: Mapping[str, Sequence[Result]]) -> Report:
    """`done`: wave name -> its clusters' results, for the waves that ran (in order)."""
    outcomes: dict[str, tuple[str, Outcome, str]] = {}
    stopped_in = None
    for step in steps:
        results = {r.cluster: r for r in done.get(step.name, ())}
        for cluster in step.clusters:
            r = results.get(cluster.name)
            if r is None:
                outcomes[cluster.name] = (step.name, Outcome.not_started, f"wave {stopped_in} failed")
            else:
                outcome = Outcome.healthy if r.healthy else Outcome.failed
                outcomes[cluster.name] = (step.name, outcome, r.detail)
        if stopped_in is None and step.name in done and not should_continue(done[step.name]):
            stopped_in = step.name
    return Report(outcomes, stopped_in)
