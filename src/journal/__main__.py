"""`python -m journal`: serve the app with Granian (RSGI, uvloop) on JOURNAL_HOST:JOURNAL_PORT.

Settings are validated here, before any server starts (exit 2 naming the setting). Granian then runs
one worker process: this process supervises it, and on SIGTERM or SIGINT asks it to stop; the worker
stops accepting, finishes its in-flight requests, runs the app's shutdown and exits, and this process
exits 0. A worker still busy after JOURNAL_SHUTDOWN_TIMEOUT_S is killed.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

from granian import Granian
from granian.constants import HTTPModes, Interfaces, Loops
from granian.log import LogLevels
from granian.server.common import AbstractServer

from journal.app import create_rsgi
from journal.logs import server_log_config
from journal.settings import Config, SettingsError, load_config


def build_server(config: Config) -> AbstractServer[Any]:
    """Granian for this config. Its defaults stand where they fit: `backlog` 1024, and `backpressure`
    (requests one worker takes at once) backlog / workers, far above the 32-128 connections NGINX holds."""
    return Granian(
        # Shown in the process title only: the worker builds the app from `config` (see `serve`).
        "journal.app:create_rsgi",
        address=config.host,
        port=config.port,
        # RSGI (journal/rsgi.py): its __rsgi_init__ and __rsgi_del__ run the app's lifespan in the worker
        interface=Interfaces.RSGI,
        workers=1,
        loop=Loops.uvloop,
        http=HTTPModes.http1,  # NGINX and kubelet probes speak HTTP/1.1
        websockets=False,
        log_level=LogLevels(config.log_level),
        log_dictconfig=server_log_config(),
        log_access=False,  # AccessMiddleware logs one line per request
        # Granian waits forever without a kill timeout; 0 s would mean that, so it is at least 1 s.
        workers_kill_timeout=max(1, config.shutdown_timeout_s),
    )


def main() -> int:
    try:
        config = load_config()
    except SettingsError as err:
        print(f"error: invalid settings: {err}", file=sys.stderr)
        return 2
    # The worker is forked from this process and builds the app from the config validated above,
    # so settings are read once and the password never travels in argv or the environment.
    build_server(config).serve(target_loader=functools.partial(create_rsgi, config), wrap_loader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
