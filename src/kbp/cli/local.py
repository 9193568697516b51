"""kbp local up | down | status | logs: the journal topology as local processes (see docs/local.md)."""

# Commands import kbp.localrun, httpx and rich inside their bodies so `kbp --help` stays fast.
# ruff: noqa: PLC0415

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from collections.abc import Callable

    from kbp.localrun.options import StackOptions, StatePaths

StateDir = Annotated[
    Path,
    typer.Option(
        "--state-dir", envvar="KBP_STATE_DIR", help="Where the stack keeps everything (default: .kbp/local)."
    ),
]
DEFAULT_STATE = Path(".kbp/local")


app = typer.Typer(
    help="Run the journal topology on this machine, no cluster needed (Redis, APIs, NGINX).",
    no_args_is_help=True,
)


def register(parent: typer.Typer) -> None:
    """Add `kbp local` to the main app."""
    app.command("up")(up)
    app.command("down")(down)
    app.command("status")(status)
    app.command("logs")(logs)
    parent.add_typer(app, name="local")


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _paths(state_dir: Path) -> StatePaths:
    from kbp.localrun.options import StatePaths

    return StatePaths(state_dir.resolve())


def _default_web_dir() -> Path:
    # A source checkout: src/kbp/cli/local.py -> <repo>/web; otherwise ./web.
    checkout = Path(__file__).resolve().parents[3] / "web"
    return checkout if (checkout / "index.html").exists() else Path.cwd() / "web"


def _options(
    *,
    state_dir: Path,
    port: int,
    redis_port: int | None,
    api_processes: int,
    page_size: int,
    web_dir: Path | None,
    sentinel: bool = False,
) -> StackOptions:
    from kbp.localrun.options import SENTINEL_QUORUM, StackOptions, derive_ports

    return StackOptions(
        state_dir=state_dir.resolve(),
        web_dir=(web_dir or _default_web_dir()).resolve(),
        ports=derive_ports(
            port,
            api_processes=api_processes,
            redis_primary=redis_port,
            sentinels=SENTINEL_QUORUM + 1 if sentinel else 0,
        ),
        python=sys.executable,
        page_size=page_size,
    )


def up(
    *,
    state_dir: StateDir = DEFAULT_STATE,
    port: Annotated[int, typer.Option(envvar="KBP_PORT", help="NGINX port (default 8080).")] = 8080,
    redis_port: Annotated[
        int | None,
        typer.Option(help="Redis primary port; the replica takes the next (default: after the APIs)."),
    ] = None,
    api_processes: Annotated[int, typer.Option(min=1, help="API processes behind NGINX (default 2).")] = 2,
    page_size: Annotated[
        int, typer.Option(min=1, help="Entries per page, JOURNAL_ENTRIES (default 10).")
    ] = 10,
    web_dir: Annotated[
        Path | None, typer.Option(help="Static UI directory (default: the checkout's web/).")
    ] = None,
    sentinel: Annotated[
        bool,
        typer.Option(
            help="Automatic failover: three Redis Sentinels (ports after the replica's) promote the "
            "replica when the primary dies, and the APIs follow them (default off)."
        ),
    ] = False,
    foreground: Annotated[
        bool, typer.Option(help="Stay attached; Ctrl-C or SIGTERM stops the stack.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for readiness (default 60).")] = 60.0,
) -> None:
    """Start Redis primary + replica (and three sentinels), the API processes and NGINX; wait until
    ready; print the URL."""
    from kbp.localrun import stack
    from kbp.localrun.errors import BadOptionsError, LocalRunError

    options = _options(
        state_dir=state_dir, port=port, redis_port=redis_port, api_processes=api_processes,
        page_size=page_size, web_dir=web_dir, sentinel=sentinel,
    )  # fmt: skip
    try:
        with _spinner("starting the local stack") as update:
            result = stack.up(options, foreground=foreground, timeout_s=timeout, on_wait=update)
    except BadOptionsError as err:
        raise _fail(str(err), 2) from err
    except LocalRunError as err:
        raise _fail(str(err)) from err
    if result.already_running:
        running = stack.load_options(options.paths)
        if foreground:
            where = f"{options.state_dir} at {running.url}"
            raise _fail(f"a stack already runs in {where}; `kbp local down` first")
        typer.echo(f"already running: {running.url}")
        return
    typer.echo(f"ready in {result.elapsed_s:.1f}s: {options.url}")
    stop = "Ctrl-C" if foreground else f"kbp local down --state-dir {options.state_dir}"
    typer.echo(f"logs: {options.paths.logs}/  stop: {stop}", err=True)
    if result.process is not None:
        _stay_attached(options, result.process.pid)


def _stay_attached(options: StackOptions, supervisord_pid: int) -> None:
    import signal
    import threading

    from kbp.localrun import stack

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(0.5):
        if not stack.is_alive(supervisord_pid):
            raise _fail("supervisord exited on its own; see " + str(options.paths.log("supervisord")))
    typer.echo("stopping...", err=True)
    stack.down(options.paths)


def down(state_dir: StateDir = DEFAULT_STATE) -> None:
    """Stop every process of the local stack. Running it again does nothing."""
    from kbp.localrun import stack
    from kbp.localrun.errors import LocalRunError

    try:
        stopped = stack.down(_paths(state_dir))
    except LocalRunError as err:
        raise _fail(str(err)) from err
    typer.echo("stopped" if stopped else f"not running ({state_dir})")


def status(
    state_dir: StateDir = DEFAULT_STATE,
    output: Annotated[str, typer.Option("-o", "--output", help="table or json (default table).")] = "table",
) -> None:
    """Show each process: pid, state, port and uptime."""
    from kbp.localrun import stack, supervising
    from kbp.localrun.errors import NotRunningError
    from kbp.localrun.programs import build_programs

    if output not in ("table", "json"):
        raise _fail(f'output "{output}" is not supported (expected table or json)', 2)
    paths = _paths(state_dir)
    try:
        states = supervising.process_states(paths)
        ports = {program.name: program.port for program in build_programs(stack.load_options(paths))}
    except NotRunningError as err:
        if output == "json":
            typer.echo(json.dumps({"kind": "LocalStackStatus", "running": False, "items": []}))
        raise _fail(str(err)) from err
    rows = [
        {
            "name": s.name,
            "pid": s.pid,
            "state": s.state,
            "port": ports.get(s.name),
            "uptime_s": round(s.uptime_s),
        }
        for s in states
    ]
    if output == "json":
        typer.echo(json.dumps({"kind": "LocalStackStatus", "running": True, "items": rows}, indent=2))
        return
    _print_table(rows)


def _print_table(rows: list[dict[str, str | int | None]]) -> None:
    from rich.table import Table

    from kbp.output import console

    table = Table("process", "pid", "state", "port", "uptime")
    for row in rows:
        uptime = int(str(row["uptime_s"]))
        table.add_row(
            str(row["name"]), str(row["pid"] or "-"), str(row["state"]), str(row["port"] or "-"),
            f"{uptime // 3600}h{uptime // 60 % 60:02d}m{uptime % 60:02d}s" if uptime else "-",
        )  # fmt: skip
    console().print(table)


def logs(
    program: Annotated[str, typer.Argument(help="nginx, nginx-access, api-1, redis-primary, ...")] = "api-1",
    state_dir: StateDir = DEFAULT_STATE,
    lines: Annotated[int, typer.Option("-n", "--lines", help="How many lines (default 40).")] = 40,
) -> None:
    """Print the last lines of one process's log."""
    path = _paths(state_dir).log(program)
    if not path.exists():
        names = sorted(p.stem for p in path.parent.glob("*.log")) if path.parent.exists() else []
        raise _fail(f'no log "{program}" in {path.parent} (have: {", ".join(names) or "none"})', 2)
    for line in path.read_text(errors="replace").splitlines()[-lines:]:
        typer.echo(line)


class _spinner:  # noqa: N801 - used like a function: `with _spinner(...) as update`
    """A Rich status line on stderr while waiting, only on a TTY; yields a callback naming what is pending."""

    def __init__(self, what: str) -> None:
        from rich.console import Console

        self._what = what
        self._console = Console(stderr=True)
        self._status = self._console.status(what) if self._console.is_terminal else None

    def __enter__(self) -> Callable[[str], None]:
        if self._status is not None:
            self._status.__enter__()
        return self._update

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(None, None, None)

    def _update(self, pending: str) -> None:
        if self._status is not None:
            self._status.update(f"{self._what}: waiting for {pending}")
