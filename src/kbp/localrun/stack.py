"""Bring the local stack up and down: write the state directory, drive supervisord, wait for readiness."""

from __future__ import annotations

import errno
import grp
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from kbp.localrun import nginxconf, passwords, programs, readiness, redisconf, supervising
from kbp.localrun.errors import MissingBinaryError, NotReadyError, NotRunningError, PortBusyError
from kbp.localrun.options import Ports, StackOptions, StatePaths, Workers, validate

REQUIRED_BINARIES = ("redis-server", "nginx")
# Longer than the slowest program's stopwaitsecs, so supervisord finishes its own orderly stop.
DOWN_TIMEOUT_S = 45.0


@dataclass(frozen=True)
class UpResult:
    elapsed_s: float
    already_running: bool
    process: subprocess.Popen[bytes] | None = None


def check_binaries() -> None:
    missing = [name for name in REQUIRED_BINARIES if shutil.which(name) is None]
    if missing:
        raise MissingBinaryError(
            f"not on PATH: {', '.join(missing)} (install with `make system-deps` or "
            "`apt-get install redis-server nginx-light`)"
        )


def check_ports(options: StackOptions) -> None:
    """Fail before starting anything if a port is taken, naming the program that wanted it."""
    for program in programs.build_programs(options):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", program.port))
            except OSError as err:
                if err.errno != errno.EADDRINUSE:
                    raise
                raise PortBusyError(
                    f"port {program.port} (for {program.name}) is already in use; "
                    "choose others with --port / --redis-port"
                ) from err


def write_state(options: StackOptions) -> str:
    """Create the state tree and every config file; returns the Redis password."""
    paths = options.paths
    for directory in (paths.root, paths.logs, paths.run, paths.config, paths.static, paths.nginx / "temp"):
        directory.mkdir(parents=True, exist_ok=True)
    paths.root.chmod(0o700)
    if options.workers:
        _prepare_workers(options, options.workers)
    password = passwords.ensure_password(paths)
    for role, _ in redisconf.redis_nodes(options):
        paths.redis_dir(role).mkdir(parents=True, exist_ok=True)
    paths.nginx_conf.write_text(nginxconf.nginx_conf(options))
    conf = programs.supervisord_conf(options, programs.build_programs(options), shutil.which("setpriv"))
    paths.supervisord_conf.write_text(conf)
    paths.options_file.write_text(json.dumps(options_to_dict(options), indent=2) + "\n")
    return password


def unprivileged_workers() -> Workers:
    """NGINX's workers as `nobody`, with a fresh directory of their own (for a stack run as root)."""
    nobody = pwd.getpwnam("nobody")
    directory = Path(tempfile.mkdtemp(prefix="kbp-nginx-"))
    directory.chmod(0o711)
    return Workers(nobody.pw_name, grp.getgrgid(nobody.pw_gid).gr_name, directory)


def _prepare_workers(options: StackOptions, workers: Workers) -> None:
    """Copy the UI where the workers can read it; NGINX's master creates the temp paths for them."""
    shutil.rmtree(workers.web, ignore_errors=True)
    shutil.copytree(options.web_dir, workers.web)
    workers.static.mkdir(exist_ok=True)
    workers.temp.mkdir(mode=0o711, exist_ok=True)
    for tree in (workers.web, workers.static):
        tree.chmod(0o755)
        for item in tree.rglob("*"):
            item.chmod(0o755 if item.is_dir() else 0o644)


def up(
    options: StackOptions,
    *,
    foreground: bool = False,
    own_session: bool = True,
    timeout_s: float = 60.0,
    on_wait: Callable[[str], None] | None = None,
) -> UpResult:
    """Start the stack (or find it running) and return once it is ready; undo a half-finished start.

    `own_session` as in `supervising.launch` (False only means something with `foreground`: a
    daemonized supervisord starts a session of its own).
    """
    validate(options)
    if supervising.is_running(options.paths):
        return UpResult(elapsed_s=0.0, already_running=True)
    started = time.monotonic()
    check_binaries()
    check_ports(options)
    _remove_workers_dir(options.paths)  # a stack that died without `down` left its own
    if options.workers is None and os.geteuid() == 0:
        options = replace(options, workers=unprivileged_workers())
    password = write_state(options)
    process = supervising.launch(options.paths, foreground=foreground, own_session=own_session)
    try:
        _wait_for_supervisord(options.paths, process, deadline=started + timeout_s)
        if not foreground:
            process.wait(timeout=10)  # the launcher exits once supervisord has forked into the background
        readiness.wait_ready(
            options, password, timeout_s=max(1.0, started + timeout_s - time.monotonic()), on_wait=on_wait
        )
    except BaseException:
        down(options.paths)
        _reap(process)
        raise
    return UpResult(
        elapsed_s=time.monotonic() - started, already_running=False, process=process if foreground else None
    )


def _wait_for_supervisord(paths: StatePaths, process: subprocess.Popen[bytes], *, deadline: float) -> None:
    while time.monotonic() < deadline:
        if supervising.is_running(paths):
            return
        code = process.poll()
        # Daemonized, the launcher exits 0 once forked; anything else means supervisord gave up.
        if code not in (None, 0):
            raise NotReadyError(
                f"supervisord exited with {code}:\n{readiness.tail(paths.log('supervisord-launch'))}"
            )
        time.sleep(readiness.POLL_S)
    raise NotReadyError(f"supervisord did not answer on {paths.supervisor_socket}")


def _reap(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def down(paths: StatePaths, *, timeout_s: float = DOWN_TIMEOUT_S) -> bool:
    """Stop everything this state dir's supervisord runs. False when nothing was running."""
    try:
        pid = supervising.supervisord_pid(paths)
        supervising.shutdown(paths)
    except NotRunningError:
        _remove_workers_dir(paths)
        return False
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and is_alive(pid):
        time.sleep(readiness.POLL_S)
    if is_alive(pid):
        raise NotReadyError(f"supervisord (pid {pid}) still running after {timeout_s:.0f}s")
    _remove_workers_dir(paths)
    return True


def _remove_workers_dir(paths: StatePaths) -> None:
    workers = load_options(paths).workers if paths.options_file.exists() else None
    if workers is not None:
        shutil.rmtree(workers.directory, ignore_errors=True)


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours (foreground mode) counts as gone.
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return waited == 0


def options_to_dict(options: StackOptions) -> dict[str, object]:
    return {
        "state_dir": str(options.state_dir),
        "web_dir": str(options.web_dir),
        "ports": {
            "nginx": options.ports.nginx,
            "api": list(options.ports.api),
            "redis_primary": options.ports.redis_primary,
            "redis_replica": options.ports.redis_replica,
            "more_replicas": list(options.ports.more_replicas),
            "sentinels": list(options.ports.sentinels),
        },
        "python": options.python,
        "page_size": options.page_size,
        "max_body_bytes": options.max_body_bytes,
        "nginx_workers": options.nginx_workers,
        "workers": None
        if options.workers is None
        else {
            "user": options.workers.user,
            "group": options.workers.group,
            "directory": str(options.workers.directory),
        },
        "redis_autorestart": options.redis_autorestart,
        "log_level": options.log_level,
        "chart_files": str(options.chart_files),
    }


def _workers(data: dict[str, str]) -> Workers:
    return Workers(user=data["user"], group=data["group"], directory=Path(data["directory"]))


def load_options(paths: StatePaths) -> StackOptions:
    """The options the running stack was started with (from stack.json)."""
    if not paths.options_file.exists():
        raise NotRunningError(f"no local stack in {paths.root} (no {paths.options_file.name})")
    data = json.loads(paths.options_file.read_text())
    ports = data.pop("ports")
    return StackOptions(
        **{
            **data,
            "state_dir": Path(data["state_dir"]),
            "web_dir": Path(data["web_dir"]),
            "chart_files": Path(data["chart_files"]),
            "workers": None if data.get("workers") is None else _workers(data["workers"]),
        },
        ports=Ports(
            nginx=ports["nginx"],
            api=tuple(ports["api"]),
            redis_primary=ports["redis_primary"],
            redis_replica=ports["redis_replica"],
            more_replicas=tuple(ports.get("more_replicas", ())),
            sentinels=tuple(ports.get("sentinels", ())),
        ),
    )
