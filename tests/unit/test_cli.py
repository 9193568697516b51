"""The command line reads `kbp <noun> <verb>`: every group is reachable, and its verbs run."""

from __future__ import annotations

import subprocess
import sys

import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from kbp.cli import commands
from kbp.cli.app import app

# Verbs on their own, named so in the issues scripts rely on: `kbp lint PATH`, `kbp reap`, `kbp deploy`.
STANDALONE = {"lint", "reap", "deploy"}


def tree() -> TyperGroup:
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    return group


def test_every_top_level_command_is_a_noun_with_verbs_or_a_standalone_verb() -> None:
    root = tree()
    for name, command in root.commands.items():
        if name in STANDALONE:
            continue
        assert isinstance(command, TyperGroup), f"kbp {name} is a bare verb; put it under a noun"
        assert command.commands, f"kbp {name} has no verbs"


def test_the_local_stack_lives_under_kbp_local() -> None:
    local = tree().commands["local"]
    assert isinstance(local, TyperGroup)
    assert set(local.commands) == {"up", "down", "status", "logs"}
    moved = CliRunner().invoke(app, ["up"])
    assert moved.exit_code == 2  # no such command at the top level any more


def test_the_entry_point_runs_as_a_process() -> None:
    cmd = [sys.executable, "-m", "kbp", "local", "--help"]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


def test_the_environment_flag_has_one_spelling_everywhere() -> None:
    """`kbp deploy` and `kbp cluster-services` both say `--env`/`-e`; the other spelling is refused,
    and the error names the right one."""
    root = tree()
    services = root.commands["cluster-services"]
    assert isinstance(services, TyperGroup)
    for command in (root.commands["deploy"], *services.commands.values()):
        [flags] = [set(p.opts) for p in command.params if p.name in ("env", "environment")]
        assert flags == {"--env", "-e"}, f"{command.name}: {flags}"
    refused = CliRunner().invoke(app, ["cluster-services", "status", "--environment", "dev"])
    assert refused.exit_code == 2
    assert "--env" in refused.output


def test_a_process_builds_only_the_command_it_names_and_it_reads_the_same() -> None:
    """kbp.cli.main imports one group (start-up); alone, each still parses and helps as in the full app."""
    assert list(commands.wanted(["user", "add", "x"])) == ["user"]
    assert list(commands.wanted(["--help"])) == list(commands.PARTS)
    assert list(commands.wanted(["nosuch"])) == list(commands.PARTS)
    runner = CliRunner()
    for name in commands.PARTS:
        alone = typer.main.get_command(commands.build([name]))
        assert isinstance(alone, TyperGroup), f"kbp {name} alone is no longer a subcommand"
        assert list(alone.commands) == [name]
        if name == "lint":
            continue  # its options are its own parser's (kbp.lint.arguments), not Typer's
        helped = runner.invoke(commands.build([name]), [name, "--help"])
        assert helped.exit_code == 0, helped.output
        assert helped.output == runner.invoke(app, [name, "--help"]).output
