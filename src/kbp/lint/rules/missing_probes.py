"""missing-probes: long-running containers declare readiness and liveness probes."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import WORKLOADS, Manifest, containers
from kbp.lint.rulebook import Hit, Options, Rule, Severity

RUN_TO_COMPLETION = ("Job", "CronJob")
WHY = {
    "readinessProbe": "traffic reaches it before it can serve",
    "livenessProbe": "a hung process is never restarted",
}


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    if m.kind in RUN_TO_COMPLETION:
        return
    # A Pod that runs to completion (a `helm test` hook, a one-off task) serves no traffic to gate.
    if m.kind == "Pod" and m.get(("spec", "restartPolicy")) in ("Never", "OnFailure"):
        return
    for c in containers(m, include_init=False):
        for probe, why in WHY.items():
            if probe not in c.body:
                yield Hit(f"container {c.name!r} has no {probe}; {why}", c.path)


RULE = Rule(
    id="missing-probes",
    summary="Containers declare readiness and liveness probes",
    severity=Severity.WARNING,
    category="reliability",
    check=check,
    kinds=WORKLOADS,
)
