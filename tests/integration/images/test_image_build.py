"""`kbp image build`: the repository's Dockerfiles built by buildah on Debian-made bases, cached by
content, and each image run for real (runc) doing its job: the journal serving on Redis, NGINX
serving the UI as uid 101 with the chart's server config, the chart's launch.sh starting Redis."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from kbp.images import catalog
from kbp.images.build import repository
from kbp.ports import free_ports
from support import images
from support.redis import RedisPair

ROOT = images.ROOT


@pytest.fixture(scope="module")
def built() -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in images.build(*catalog.NAMES)}


def wait_until(check: Callable[[], bool], what: str, log: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if check():
                return
        except (httpx.TransportError, redis.RedisError, OSError):
            pass
        assert time.monotonic() < deadline, f"{what}; container output:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)


def test_every_image_is_built_and_a_second_run_is_a_cache_hit(built: dict[str, dict[str, Any]]) -> None:
    assert set(built) == set(catalog.NAMES)
    again = {row["name"]: row for row in images.build(*catalog.NAMES)}
    assert all(row["cached"] for row in again.values()), again
    assert {name: row["key"] for name, row in again.items()} == {
        name: row["key"] for name, row in built.items()
    }
    assert built["pause"]["ref"] == "registry.k8s.io/pause:3.10.2"


def test_each_archive_names_its_image_and_holds_no_build_secret(built: dict[str, dict[str, Any]]) -> None:
    local_cas = images.local_cas()
    for name, row in built.items():
        archive = images.Archive(Path(row["archive"]))
        expected = (
            catalog.PAUSE_REF
            if name == "pause"
            else f"{repository(ROOT, catalog.by_name(name))}:key-{row['key']}"
        )
        assert archive.manifest()["RepoTags"] == [expected]
        files = archive.files()
        # The host's own CAs (a TLS proxy's among them) were mounted for the build only.
        for bundle in archive.contents(".crt") + archive.contents(".pem"):
            flat = b"".join(bundle.split())
            assert not any(ca in flat for ca in local_cas), f"a host CA in {name}"
        assert not any("__pycache__" in path and path.startswith("opt/app/") for path in files), name
    api = images.Archive(Path(built["api"]["archive"]))
    assert api.config()["User"] == "10001:10001"
    assert "opt/app/journal/api.py" in api.files()
    assert not any(path.startswith("opt/app/kbp") for path in api.files())
    assert images.Archive(Path(built["kbp"]["archive"])).config()["User"] == "10001:10001"
    assert images.Archive(Path(built["fileserver"]["archive"])).config()["User"] == "101:101"
    pause = images.Archive(Path(built["pause"]["archive"]))
    assert pause.config()["Entrypoint"] == ["/pause", "-P"]
    assert pause.files() >= {"pause"}


def test_the_api_image_serves_the_journal_on_redis(
    built: dict[str, dict[str, Any]], redis_pair: RedisPair, tmp_path: Path
) -> None:
    (port,) = free_ports(1)
    log = tmp_path / "api.log"
    env = {
        "JOURNAL_HOST": "127.0.0.1",
        "JOURNAL_PORT": str(port),
        "JOURNAL_REDIS_WRITE_URL": redis_pair.primary.url,
        "JOURNAL_REDIS_READ_URL": redis_pair.replica.url,
        "JOURNAL_REDIS_PASSWORD_FILE": "/etc/redis-passwd/passwd",
    }
    secret = tmp_path / "secret"
    secret.mkdir()
    # As a Secret volume mounts it: readable by the pod's user (10001), not by root alone.
    (secret / "passwd").write_text(redis_pair.password + "\n")
    (secret / "passwd").chmod(0o644)
    volumes = [f"{secret}:/etc/redis-passwd:ro"]
    # The image's entrypoint, spelled out: `buildah run` takes no default command.
    command = ["python", "-m", "journal"]
    with images.running(built["api"]["image"], command, log=log, env=env, volumes=volumes) as process:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(f"{url}/readyz", timeout=2).status_code == 200, "never ready", log)
        created = httpx.post(f"{url}/api", json={"text": "from the built image"}, timeout=5)
        assert created.status_code == 201, created.text
        assert process.poll() is None
    assert '"level"' in log.read_text(), "JSON log lines on stdout"


def test_the_fileserver_image_serves_the_ui_with_the_charts_config(
    built: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    (port,) = free_ports(1)
    conf = tmp_path / "conf"
    conf.mkdir()
    # The chart's ConfigMap: default.conf wraps files/nginx/fileserver.conf.
    (conf / "default.conf").write_text(
        f"server {{ listen 127.0.0.1:{port}; server_name _; root /usr/share/nginx/html;"
        " include /etc/nginx/journal/fileserver.conf; }\n"
    )
    volumes = [
        f"{conf / 'default.conf'}:/etc/nginx/conf.d/default.conf:ro",
        f"{ROOT / 'charts/journal/files/nginx/fileserver.conf'}:/etc/nginx/journal/fileserver.conf:ro",
    ]
    log = tmp_path / "nginx.log"
    command = ["nginx", "-g", "daemon off;"]
    with images.running(built["fileserver"]["image"], command, log=log, volumes=volumes, user="101:101"):
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(f"{url}/healthz", timeout=2).status_code == 200, "never healthy", log)
        page = httpx.get(f"{url}/", timeout=5)
        assert page.status_code == 200
        assert page.text == (ROOT / "web/index.html").read_text()


def test_the_redis_image_runs_the_charts_launch_script(
    built: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    (port,) = free_ports(1)
    password = secrets.token_urlsafe(16)
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "passwd").write_text(password + "\n")
    (secret / "passwd").chmod(0o644)
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o777)  # the pod's fsGroup makes the volume writable for uid 999
    env = {
        "REDIS_ROLE": "primary",
        "REDIS_PORT": str(port),
        "REDIS_PRIMARY_HOST": "127.0.0.1",
        "REDIS_CONF": "/opt/journal-redis/redis.conf",
        "REDIS_DATA_DIR": "/data",
        "REDIS_RUN_DIR": "/tmp/redis",
        "REDIS_PASSWORD_FILE": "/etc/redis-passwd/passwd",
        "REDIS_BIND": "127.0.0.1",
    }
    volumes = [
        f"{ROOT / 'charts/journal/files/redis'}:/opt/journal-redis:ro",
        f"{secret}:/etc/redis-passwd:ro",
        f"{data}:/data",
    ]
    log = tmp_path / "redis.log"
    argv = ["sh", "/opt/journal-redis/launch.sh"]
    with images.running(built["redis"]["image"], argv, log=log, env=env, volumes=volumes, user="999:999"):
        client = redis.Redis(port=port, password=password, socket_timeout=2)
        wait_until(lambda: bool(client.ping()), "Redis never answered", log)
        client.set("k", "v")
        assert client.info("server")["redis_version"].startswith("7.")
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        client.close()
    assert (data / "appendonlydir").is_dir(), "the AOF is on the data volume"
