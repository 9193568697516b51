"""The CI pipeline: actionlint finds nothing, and only a push to main can reach the deploy job."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from kbp.cluster import binaries
from support.expressions import UnsupportedExpression, evaluate

WORKFLOWS = Path(__file__).parents[3] / ".github" / "workflows"


def workflow_files() -> list[Path]:
    files = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
    assert files, f"no workflows in {WORKFLOWS}"
    return files


def jobs() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in workflow_files():
        for name, job in yaml.safe_load(path.read_text())["jobs"].items():
            found[f"{path.name}:{name}"] = job
    return found


def deploy_jobs() -> dict[str, dict[str, Any]]:
    """Jobs that deploy: they name an environment, run `kbp deploy`/helm, or read the kubeconfig secret."""

    def deploys(job: dict[str, Any]) -> bool:
        text = yaml.safe_dump(job)
        return "environment" in job or "kbp deploy" in text or "helm " in text or "secrets.KUBECONFIG" in text

    return {name: job for name, job in jobs().items() if deploys(job)}


def test_actionlint_finds_nothing() -> None:
    actionlint = binaries.resolve() / "actionlint"
    assert actionlint.is_file(), f"{actionlint} missing: testenv/build.sh builds it"
    result = subprocess.run(
        [str(actionlint), "-no-color", *map(str, workflow_files())],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"actionlint:\n{result.stdout}{result.stderr}"


def test_the_evaluator_compares_strings_as_github_does() -> None:
    # Why the deploy job needs its case-sensitive first step: `==` alone admits `Main`.
    assert evaluate("github.ref == 'refs/heads/main'", {"github": {"ref": "refs/heads/Main"}}) is True
    assert evaluate("'it''s' == 'IT''S' && !(1 == 2)", {}) is True
    assert evaluate("github.x || 'fallback'", {"github": {}}) == "fallback"
    with pytest.raises(UnsupportedExpression):
        evaluate("startsWith(github.ref, 'refs/heads/')", {})


def guard_passes(job: dict[str, Any], event: str, ref: str) -> bool:
    """Run the job's first step, which must be a shell guard, with the runner's variables set."""
    first = job["steps"][0]
    assert "run" in first, "the deploy job must start with its guard step"
    assert "uses" not in first, "the deploy job must start with its guard step"
    env = {"PATH": os.environ["PATH"], "GITHUB_EVENT_NAME": event, "GITHUB_REF": ref}
    # GitHub runs `run:` with `bash -e {0}` on Linux runners.
    result = subprocess.run(["bash", "-e", "-c", first["run"]], env=env, capture_output=True, check=False)
    return result.returncode == 0


CASES = [
    pytest.param("push", "refs/heads/main", True, id="push-main"),
    pytest.param("push", "refs/heads/Main", False, id="push-Main-case"),
    pytest.param("push", "refs/heads/MAIN", False, id="push-MAIN-case"),
    pytest.param("push", "refs/heads/main2", False, id="push-main2"),
    pytest.param("push", "refs/heads/feature/main", False, id="push-feature-main"),
    pytest.param("push", "refs/heads/release", False, id="push-other-branch"),
    pytest.param("push", "refs/tags/v1.0.0", False, id="push-tag"),
    pytest.param("push", "refs/tags/main", False, id="push-tag-named-main"),
    pytest.param("pull_request", "refs/pull/7/merge", False, id="pull-request"),
    pytest.param("pull_request", "refs/heads/main", False, id="pull-request-claiming-main"),
    pytest.param("pull_request_target", "refs/heads/main", False, id="pull-request-target-on-main"),
    pytest.param("workflow_dispatch", "refs/heads/main", False, id="manual-on-main"),
    pytest.param("schedule", "refs/heads/main", False, id="schedule-on-main"),
    pytest.param("merge_group", "refs/heads/gh-readonly-queue/main/pr-7-abc", False, id="merge-queue"),
    pytest.param("workflow_run", "refs/heads/main", False, id="workflow-run-on-main"),
]


@pytest.mark.parametrize(("event", "ref", "admitted"), CASES)
def test_only_a_push_to_main_reaches_the_deploy_job(event: str, ref: str, admitted: bool) -> None:
    found = deploy_jobs()
    assert found, "no deploy job found"
    for name, job in found.items():
        condition = job.get("if")
        assert isinstance(condition, str), f"{name}: a deploy job needs an `if:`"
        context = {"github": {"event_name": event, "ref": ref}}
        runs = bool(evaluate(condition, context)) and guard_passes(job, event, ref)
        assert runs is admitted, f"{name}: {event} {ref} admitted={runs}, expected {admitted}"


def test_only_the_deploy_job_sees_the_cluster_credentials() -> None:
    for path in workflow_files():
        doc = yaml.safe_load(path.read_text())
        assert "secrets.KUBECONFIG" not in yaml.safe_dump(doc.get("env", {})), f"{path.name}: workflow env"
    for name, job in jobs().items():
        if "secrets.KUBECONFIG" in yaml.safe_dump(job):
            assert name in deploy_jobs(), name
            assert job.get("environment"), f"{name}: cluster credentials belong to an environment"
