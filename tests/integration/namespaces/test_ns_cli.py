"""`kbp ns create | extend | list | describe` and `kbp reap` as people and scripts call them."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from kbp import kube, metadata
from kbp.namespaces import ttl
from kbp.ports import free_ports
from support.controlplane import ControlPlane
from support.namespaces import PAST, MakeNamespace


def kbp(cluster: ControlPlane, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kbp", *args, "--kubeconfig", str(cluster.kubeconfig)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_create_writes_validated_metadata_and_is_idempotent(
    cluster: ControlPlane, api: kube.KubeClient, prefix: str, make_namespace: MakeNamespace
) -> None:
    name = prefix + "cli"
    args = (
        "ns",
        "create",
        name,
        "--owner",
        "alice",
        "--team",
        "team-a",
        "--purpose",
        "demo",
        "--ttl",
        "7d",
        "-o",
        "json",
    )
    try:
        first = ok(kbp(cluster, *args))
        again = ok(kbp(cluster, *args))
        stored = kube.get(api, "v1", "Namespace", name)["metadata"]
    finally:
        kube.delete(api, "v1", "Namespace", name)
    assert first["ttl"] == again["ttl"] == "7d"
    assert 7 * 86400 - 120 < first["secondsLeft"] <= 7 * 86400
    assert stored["labels"][metadata.MANAGED_BY] == metadata.MANAGED_BY_KBP
    assert (stored["labels"][metadata.OWNER], stored["labels"][metadata.TEAM]) == ("alice", "team-a")
    assert stored["annotations"][metadata.TTL] == "7d"


def test_bad_metadata_is_refused_before_anything_is_written(
    cluster: ControlPlane, api: kube.KubeClient, prefix: str
) -> None:
    name = prefix + "bad"
    result = kbp(
        cluster, "ns", "create", name, "--owner", "a", "--team", "t", "--purpose", "p", "--ttl", "7x"
    )
    assert result.returncode == 2
    assert f'namespace "{name}": ttl "7x" is not a duration' in result.stderr
    assert kube.find(api, "v1", "Namespace", name) is None


def test_create_never_adopts_a_namespace_kbp_did_not_create(
    cluster: ControlPlane, api: kube.KubeClient, make_namespace: MakeNamespace
) -> None:
    name = make_namespace("theirs", managed=False)
    result = kbp(
        cluster, "ns", "create", name, "--owner", "a", "--team", "t", "--purpose", "p", "--ttl", "1d"
    )
    assert result.returncode == 1
    assert "kbp does not manage it" in result.stderr
    assert metadata.MANAGED_BY not in kube.get(api, "v1", "Namespace", name)["metadata"]["labels"]


def test_list_shows_time_left_soonest_first(cluster: ControlPlane, make_namespace: MakeNamespace) -> None:
    later = make_namespace("later", ttl="3d")
    sooner = make_namespace("sooner", ttl="1d")
    expired = make_namespace("gone", expires=PAST)
    forever = make_namespace("always", ttl="forever")
    items = ok(kbp(cluster, "ns", "list", "-o", "json"))["items"]
    mine = [i["name"] for i in items if i["name"] in {later, sooner, expired, forever}]
    assert mine == [expired, sooner, later, forever]
    by_name = {i["name"]: i for i in items}
    assert by_name[expired]["left"] == "expired"
    assert by_name[forever]["secondsLeft"] is None
    table = kbp(cluster, "ns", "list")
    assert table.returncode == 0
    assert sooner in table.stdout


def test_extend_moves_the_deadline_from_now_and_clears_the_warning(
    cluster: ControlPlane, api: kube.KubeClient, make_namespace: MakeNamespace
) -> None:
    name = make_namespace("extend", expires=PAST)
    kube.patch(
        api,
        "v1",
        "Namespace",
        name,
        {"metadata": {"annotations": {metadata.REAP_WARNED_AT: "2025-01-01T00:00:00Z"}}},
    )
    before = datetime.now(UTC)
    item = ok(kbp(cluster, "ns", "extend", name, "--ttl", "14d", "-o", "json"))
    deadline = ttl.parse_expires(item["deadline"])
    assert (
        before + timedelta(days=14) - timedelta(seconds=1)
        <= deadline
        <= datetime.now(UTC) + timedelta(days=14)
    )
    annotations = kube.get(api, "v1", "Namespace", name)["metadata"]["annotations"]
    assert metadata.REAP_WARNED_AT not in annotations
    assert metadata.TTL not in annotations  # the TTL counts from creation; the new deadline is an expiry
    bad = kbp(cluster, "ns", "extend", name, "--ttl", "two weeks")
    assert bad.returncode == 2
    assert "not a duration" in bad.stderr


def test_describe_says_what_the_reaper_would_do(cluster: ControlPlane, make_namespace: MakeNamespace) -> None:
    name = make_namespace("describe", ttl="oops")
    item = ok(kbp(cluster, "ns", "describe", name, "-o", "json"))
    assert item["reaper"].startswith("skip:")
    assert "janitor/ttl" in item["problem"]
    assert item["owner"] == "tester"
    system = ok(kbp(cluster, "ns", "describe", "kube-system", "-o", "json"))
    assert system["reaper"] == "skip: protected name: never reaped"


def test_reap_is_a_dry_run_by_default_and_logs_json_lines(
    cluster: ControlPlane, api: kube.KubeClient, prefix: str, make_namespace: MakeNamespace
) -> None:
    name = make_namespace("cli-reap", expires=PAST)
    result = kbp(cluster, "reap", "--protect-regex", f"(?!{prefix}).*", "--warn-before", "0s", "-o", "json")
    assert result.returncode == 0, result.stderr
    items = json.loads(result.stdout)["items"]
    assert {(i["name"], i["result"]) for i in items if i["name"].startswith(prefix)} == {
        (name, "would-delete")
    }
    assert "**DRY-RUN**" in result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert lines[0]["event"] == "start"
    assert any(line.get("name") == name and line["event"] == "decision" for line in lines)
    assert lines[-1]["event"] == "pass"
    assert not kube.get(api, "v1", "Namespace", name)["metadata"].get("deletionTimestamp")


def test_reap_rejects_bad_flags(cluster: ControlPlane) -> None:
    for args in (["--warn-before", "1 hour"], ["--once", "--interval", "1h"], ["--protect-regex", "("]):
        result = kbp(cluster, "reap", *args)
        assert result.returncode == 2, args
        assert result.stderr.startswith("error:"), result.stderr


def test_a_once_pass_writes_its_counters_to_a_metrics_file(
    cluster: ControlPlane, prefix: str, make_namespace: MakeNamespace, tmp_path: Path
) -> None:
    make_namespace("metrics", expires=PAST)
    target = tmp_path / "reaper.prom"
    result = kbp(cluster, "reap", "--protect-regex", f"(?!{prefix}).*", "--metrics-file", str(target))
    assert result.returncode == 0, result.stderr
    text = target.read_text()
    assert "kbp_reaper_passes_total 1.0" in text
    assert 'kbp_reaper_namespaces_skipped_total{reason="dry-run"} 1.0' in text  # a dry-run warning


def test_the_loop_serves_metrics_and_stops_on_sigterm(cluster: ControlPlane, tmp_path: Path) -> None:
    (port,) = free_ports(1)
    args = ["reap", "--interval", "1h", "--metrics-port", str(port), "--kubeconfig", str(cluster.kubeconfig)]
    with (tmp_path / "reap.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "kbp", *args], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:

        def scraped() -> str | None:
            assert process.poll() is None, (tmp_path / "reap.log").read_text()
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
            except httpx.TransportError:
                return None
            return body if "kbp_reaper_passes_total 1.0" in body else None

        body = kube.wait_for(scraped, timeout=30, what="the reaper's /metrics after one pass")
        assert "kbp_reaper_namespaces_seen_total" in body
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
