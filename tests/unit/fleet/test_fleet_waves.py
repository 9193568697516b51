"""Wave planning and the stop-on-failure verdict, from plain clusters."""

from __future__ import annotations

from pathlib import Path

from kbp.fleet import selectors, waves
from kbp.fleet.inventory import Cluster, Wave


def cluster(name: str, **labels: str) -> Cluster:
    return Cluster(name, Path(f"{name}.kubeconfig"), None, labels, None, None)


CANARY = cluster("canary", env="dev", canary="true")
DEV = cluster("dev", env="dev")
PROD = cluster("prod", env="prod")
ODD = cluster("odd", env="qa")
WAVES = (
    Wave("canary", selectors.parse("canary=true")),
    Wave("dev", selectors.parse("env=dev")),
    Wave("prod", selectors.parse("env=prod")),
)


def names(steps: tuple[waves.Step, ...]) -> list[tuple[str, list[str]]]:
    return [(s.name, [c.name for c in s.clusters]) for s in steps]


def test_a_cluster_joins_the_first_wave_that_matches() -> None:
    steps = waves.plan(WAVES, [PROD, DEV, CANARY])
    assert names(steps) == [("canary", ["canary"]), ("dev", ["dev"]), ("prod", ["prod"])]


def test_clusters_no_wave_matches_go_last_and_empty_waves_are_dropped() -> None:
    assert names(waves.plan(WAVES, [ODD, PROD])) == [("prod", ["prod"]), ("rest", ["odd"])]


def test_without_waves_every_picked_cluster_is_one_wave() -> None:
    assert names(waves.plan((), [DEV, PROD])) == [("all", ["dev", "prod"])]
    assert waves.plan((), []) == ()


def test_a_failed_canary_stops_the_rollout_and_says_where() -> None:
    steps = waves.plan(WAVES, [CANARY, DEV, PROD])
    done = {"canary": [waves.Result("canary", False, "deployment/journal-api not ready")]}
    report = waves.report(steps, done)
    assert not report.ok
    assert report.stopped_in == "canary"
    assert report.outcomes["canary"] == ("canary", waves.Outcome.failed, "deployment/journal-api not ready")
    assert report.outcomes["dev"] == ("dev", waves.Outcome.not_started, "wave canary failed")
    assert report.outcomes["prod"][1] is waves.Outcome.not_started


def test_every_wave_healthy_is_ok() -> None:
    steps = waves.plan(WAVES, [CANARY, PROD])
    done = {
        "canary": [waves.Result("canary", True, "no change")],
        "prod": [waves.Result("prod", True, "journal deployed")],
    }
    report = waves.report(steps, done)
    assert report.ok
    assert {o for _, o, _ in report.outcomes.values()} == {waves.Outcome.healthy}


def test_one_unhealthy_cluster_fails_its_wave() -> None:
    assert waves.should_continue([waves.Result("a", True, ""), waves.Result("b", True, "")])
    assert not waves.should_continue([waves.Result("a", True, ""), waves.Result("b", False, "x")])
