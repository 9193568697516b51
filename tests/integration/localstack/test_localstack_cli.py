"""kbp local up, status, logs and down against the session's running stack (and an empty state dir)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from kbp.cli.app import app
from support.localstack import LocalStack

RUNNER = CliRunner()


def test_status_json_lists_every_process_running(local_stack: LocalStack) -> None:
    state = str(local_stack.options.state_dir)
    result = RUNNER.invoke(app, ["local", "status", "--state-dir", state, "-o", "json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert status["kind"] == "LocalStackStatus"
    rows = {row["name"]: row for row in status["items"]}
    assert set(rows) == {"redis-primary", "redis-replica", "api-1", "api-2", "nginx"}
    assert rows["nginx"]["port"] == local_stack.options.ports.nginx
    assert all(row["state"] == "RUNNING" and row["pid"] > 0 for row in rows.values())


def test_status_table_names_the_processes(local_stack: LocalStack) -> None:
    result = RUNNER.invoke(app, ["local", "status", "--state-dir", str(local_stack.options.state_dir)])
    assert result.exit_code == 0, result.output
    for name in ("redis-primary", "redis-replica", "api-1", "api-2", "nginx"):
        assert name in result.stdout


def test_up_again_finds_the_stack_running(local_stack: LocalStack) -> None:
    state = str(local_stack.options.state_dir)
    port = str(local_stack.options.ports.nginx)
    result = RUNNER.invoke(app, ["local", "up", "--state-dir", state, "--port", port])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"already running: {local_stack.options.url}"


def test_logs_prints_a_process_log(local_stack: LocalStack) -> None:
    result = RUNNER.invoke(app, ["local", "logs", "api-1", "--state-dir", str(local_stack.options.state_dir)])
    assert result.exit_code == 0, result.output
    assert any(line.startswith("{") for line in result.stdout.splitlines())


def test_logs_of_an_unknown_program_names_the_ones_there(local_stack: LocalStack) -> None:
    result = RUNNER.invoke(app, ["local", "logs", "api-9", "--state-dir", str(local_stack.options.state_dir)])
    assert result.exit_code == 2
    assert "api-1" in result.stderr


def test_down_and_status_on_an_empty_state_dir(tmp_path: Path) -> None:
    down = RUNNER.invoke(app, ["local", "down", "--state-dir", str(tmp_path)])
    assert down.exit_code == 0
    assert "not running" in down.stdout
    status = RUNNER.invoke(app, ["local", "status", "--state-dir", str(tmp_path), "-o", "json"])
    assert status.exit_code == 1
    assert json.loads(status.stdout) == {"kind": "LocalStackStatus", "running": False, "items": []}
