"""The chart's `helm test` Pod, as rendered, run against a real journal on real Redis: it writes an
entry through the API, reads it back, deletes it and sees it gone; it fails naming the step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from kbp.ports import free_ports
from support.charts import Helm, one
from support.journal import journal_env, running_journal
from support.redis import RedisPair, kill

pytestmark = pytest.mark.helm


def rendered_check(helm: Helm) -> dict[str, Any]:
    pod = one(helm.template(), "Pod", "journal-test-api")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    [container] = pod["spec"]["containers"]
    assert container["command"][:2] == ["python", "-c"]
    return dict(container)


def run_check(container: dict[str, Any], url: str) -> subprocess.CompletedProcess[str]:
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["JOURNAL_URL"] == "http://journal-api"  # the API's Service, inside the namespace
    return subprocess.run(
        [sys.executable, *container["command"][1:]],
        env={"JOURNAL_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_helm_test_writes_reads_back_and_deletes_an_entry(
    helm: Helm, empty_redis: RedisPair, tmp_path: Path
) -> None:
    container = rendered_check(helm)
    env = journal_env(empty_redis, port=free_ports(1)[0], config_dir=tmp_path)
    with running_journal(env, tmp_path) as journal:
        result = run_check(container, journal.url)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "wrote, read back and deleted entry" in result.stdout
        assert httpx.get(journal.url + "/api").json()["total"] == 0  # nothing left behind


def test_the_helm_test_fails_naming_the_step(helm: Helm, fresh_redis_pair: RedisPair, tmp_path: Path) -> None:
    container = rendered_check(helm)
    env = journal_env(fresh_redis_pair, port=free_ports(1)[0], config_dir=tmp_path, redis_timeout_s="2")
    with running_journal(env, tmp_path) as journal:
        kill(fresh_redis_pair.primary)  # the write cannot be stored: 503
        result = run_check(container, journal.url)
    assert result.returncode != 0
    assert "write: POST /api answered 503" in result.stderr, result.stderr
