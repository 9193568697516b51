"""The NGINX config: routing, the upstream pool, limits and non-root temp paths."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from kbp.localrun.nginxconf import client_max_body_bytes, nginx_conf
from kbp.localrun.options import StackOptions, Workers, derive_ports

OPTIONS = StackOptions(
    state_dir=Path("/srv/state"), web_dir=Path("/srv/web"), ports=derive_ports(8080), python="python"
)
CONF = nginx_conf(OPTIONS)


def test_api_routes_are_exact_so_apix_is_not_the_api() -> None:
    assert "location = /api {" in CONF
    assert "location /api/ {" in CONF
    assert "location /api {" not in CONF  # a bare prefix would also match /apix


def test_upstream_has_both_api_processes_and_keepalive() -> None:
    upstream = CONF[CONF.index("upstream journal_api") :]
    upstream = upstream[: upstream.index("}")]
    assert "server 127.0.0.1:8081 " in upstream
    assert "server 127.0.0.1:8082 " in upstream
    assert re.search(r"keepalive \d+;", upstream)
    assert 'proxy_set_header Connection "";' in CONF
    assert "proxy_http_version 1.1;" in CONF


def test_posts_are_retried_on_the_other_api_with_an_idempotency_key() -> None:
    assert "proxy_next_upstream error timeout non_idempotent;" in CONF
    assert "proxy_next_upstream_tries 2;" in CONF
    assert "proxy_set_header Idempotency-Key $idempotency_key;" in CONF
    mapping = CONF[CONF.index("map $http_idempotency_key $idempotency_key {") :]
    mapping = mapping[: mapping.index("}")]
    assert '"" $request_id;' in mapping  # a key per request when the client sends none
    assert "default $http_idempotency_key;" in mapping


def test_static_ui_root_and_listen_address() -> None:
    assert 'root "/srv/web";' in CONF
    assert "listen 127.0.0.1:8080;" in CONF
    assert 'alias "/srv/state/static/";' in CONF


def test_every_temp_path_and_log_lives_under_the_state_dir() -> None:
    paths = re.findall(r'(?:_temp_path|access_log|pid) "([^"]+)"', CONF)
    assert len(paths) == 7
    assert all(path.startswith("/srv/state/") for path in paths)


def test_body_limit_sits_above_the_apis_and_answers_json() -> None:
    assert client_max_body_bytes(OPTIONS) > OPTIONS.max_body_bytes
    assert f"client_max_body_size {client_max_body_bytes(OPTIONS)};" in CONF
    assert "error_page 413 @too_large;" in CONF
    assert "default_type application/json;" in CONF


def test_unprivileged_workers_serve_the_copy_of_the_ui_they_can_read() -> None:
    assert "\nuser " not in CONF
    assert f'root "{OPTIONS.web_dir}";' in CONF
    workers = Workers("nobody", "nogroup", Path("/tmp/kbp-nginx-x"))
    conf = nginx_conf(replace(OPTIONS, workers=workers))
    assert conf.count("user nobody nogroup;") == 1
    assert 'root "/tmp/kbp-nginx-x/web";' in conf
    assert 'client_body_temp_path "/tmp/kbp-nginx-x/temp/body";' in conf


def test_worker_count_is_an_option() -> None:
    assert "worker_processes 1;" in CONF
    assert "worker_processes 2;" in nginx_conf(replace(OPTIONS, nginx_workers=2))
