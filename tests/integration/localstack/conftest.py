"""One real local stack for these tests: Redis primary + replica, two API processes and NGINX.

Started through kbp.localrun on free loopback ports in a temporary state directory, once per session, and
always stopped. A missing server binary fails the session; nothing here is skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kbp.localrun import stack
from kbp.localrun.options import Ports, StackOptions
from kbp.ports import free_ports
from support.localstack import LocalStack, require_binaries

WEB_DIR = Path(__file__).resolve().parents[3] / "web"


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    require_binaries("redis-server", "nginx")
    nginx, api_1, api_2, primary, replica = free_ports(5)
    options = StackOptions(
        state_dir=tmp_path_factory.mktemp("localstack"),
        web_dir=WEB_DIR,
        ports=Ports(nginx=nginx, api=(api_1, api_2), redis_primary=primary, redis_replica=replica),
        python=sys.executable,
        # The failover test kills the primary and must see it stay down until it restarts it.
        redis_autorestart=False,
    )
    try:
        stack.up(options, timeout_s=90)
        yield LocalStack(options)
    finally:
        stack.down(options.paths)
