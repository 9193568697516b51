"""`python -m journal`: serve the app on JOURNAL_HOST:JOURNAL_PORT (httptools on uvloop, one process).

Settings are validated here, before anything starts (exit 2 naming the setting). The app starts
(its lifespan), then the server listens; on SIGTERM or SIGINT it stops accepting, finishes the
requests in flight (at most JOURNAL_SHUTDOWN_TIMEOUT_S), runs the app's shutdown and exits 0.
"""

from __future__ import annotations

import sys

import uvloop

from journal import logs
from journal.app import create_front
from journal.serving import HttpServer, serve_until_stopped
from journal.settings import Config, SettingsError, load_config


async def serve(config: Config) -> None:
    front = create_front(config)
    server = HttpServer(
        front,
        refused=front.refused,
        max_body_bytes=config.max_body_bytes,
        request_timeout_s=config.request_timeout_s,
        log=front.log,
    )
    await serve_until_stopped(
        server,
        host=config.host,
        port=config.port,
        startup=front.startup,
        shutdown=front.shutdown,
        # 0 would cut every request in flight; as before, it means at least 1 s.
        shutdown_timeout_s=max(1, config.shutdown_timeout_s),
    )


def main() -> int:
    try:
        config = load_config()
    except SettingsError as err:
        print(f"error: invalid settings: {err}", file=sys.stderr)
        return 2
    try:
        uvloop.run(serve(config))
    except OSError as err:  # the port is taken, or the host is not this machine's
        logs.flush()
        print(f"error: cannot listen on {config.host}:{config.port}: {err.strerror or err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
