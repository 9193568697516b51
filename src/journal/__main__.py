"""`python -m journal`: serve the app with uvicorn (uvloop + httptools) on JOURNAL_HOST:JOURNAL_PORT."""

from __future__ import annotations

import sys

import uvicorn

from journal.app import create_app
from journal.settings import SettingsError, load_config


def main() -> int:
    try:
        config = load_config()
    except SettingsError as err:
        print(f"error: invalid settings: {err}", file=sys.stderr)
        return 2
    uvicorn.run(
        create_app(config),
        host=config.host,
        port=config.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,  # create_app routes uvicorn's records through the JSON renderer
        access_log=False,  # AccessMiddleware logs one line per request
        server_header=False,
        proxy_headers=False,  # nothing reads the client address; NGINX's is in X-Forwarded-For
        timeout_graceful_shutdown=config.shutdown_timeout_s,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
