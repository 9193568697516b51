"""The process set as data and its supervisord config."""

from __future__ import annotations

import configparser
from dataclasses import replace
from pathlib import Path

from kbp.localrun.options import StackOptions, derive_ports
from kbp.localrun.programs import build_programs, supervisord_conf

OPTIONS = StackOptions(
    state_dir=Path("/srv/state"),
    web_dir=Path("/srv/web"),
    ports=derive_ports(8080),
    python="/venv/bin/python",
)
PROGRAMS = build_programs(OPTIONS)


def parsed() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read_string(supervisord_conf(OPTIONS, PROGRAMS))
    return parser


def test_topology_in_start_order() -> None:
    assert [p.name for p in PROGRAMS] == ["redis-primary", "redis-replica", "api-1", "api-2", "nginx"]
    priorities = [p.priority for p in PROGRAMS]
    assert priorities == sorted(priorities)


def test_apis_write_to_the_primary_and_read_from_the_replica() -> None:
    for program, port in zip(PROGRAMS[2:4], (8081, 8082), strict=True):
        assert program.command == ("/venv/bin/python", "-m", "journal")
        assert program.env["JOURNAL_PORT"] == str(port)
        assert program.env["JOURNAL_REDIS_WRITE_URL"] == "redis://127.0.0.1:8083/0"
        assert program.env["JOURNAL_REDIS_READ_URL"] == "redis://127.0.0.1:8084/0"
        assert program.env["JOURNAL_REDIS_PASSWORD_FILE"] == "/srv/state/secrets/redis-passwd"


def test_no_password_anywhere_in_argv_or_env() -> None:
    for program in PROGRAMS:
        assert not any("passw" in arg.lower() for arg in program.command)
        assert all("passw" not in key.lower() or key.endswith("_FILE") for key in program.env)


def test_nginx_runs_in_the_foreground_with_its_own_prefix() -> None:
    nginx = PROGRAMS[-1]
    assert nginx.command == (
        "nginx", "-p", "/srv/state/nginx", "-c", "/srv/state/nginx/nginx.conf", "-g", "daemon off;"
    )  # fmt: skip
    assert nginx.stopsignal == "QUIT"


def test_supervisord_conf_has_a_private_socket_and_a_log_per_program() -> None:
    conf = parsed()
    assert conf.get("unix_http_server", "chmod") == "0700"
    assert conf.get("supervisorctl", "serverurl") == "unix:///srv/state/run/supervisor.sock"
    for program in PROGRAMS:
        section = f"program:{program.name}"
        log = f"/srv/state/logs/{program.name}.log"
        if program.writes_own_log:
            assert conf.get(section, "stdout_logfile") == "NONE"
            assert f">>{log} 2>&1" in conf.get(section, "command")
        else:
            assert conf.get(section, "stdout_logfile") == log
        assert conf.get(section, "stopasgroup") == "true"
    assert conf.get("program:nginx", "command") == (
        'nginx -p /srv/state/nginx -c /srv/state/nginx/nginx.conf -g "daemon off;"'
    )
    assert 'JOURNAL_ENTRIES="10"' in conf.get("program:api-1", "environment")


def test_percent_signs_are_escaped_for_supervisord() -> None:
    odd = StackOptions(
        state_dir=Path("/srv/100%"), web_dir=Path("/srv/web"), ports=derive_ports(8080), python="python"
    )
    text = supervisord_conf(odd, build_programs(odd))
    assert "/srv/100%%/logs" in text
    assert "/srv/100%/" not in text


def test_redis_autorestart_is_an_option() -> None:
    conf = configparser.RawConfigParser()
    no_restart = replace(OPTIONS, redis_autorestart=False)
    conf.read_string(supervisord_conf(no_restart, build_programs(no_restart)))
    assert conf.get("program:redis-primary", "autorestart") == "false"
    assert conf.get("program:api-1", "autorestart") == "true"


def test_api_processes_write_their_own_logs_through_exec() -> None:
    api = parsed().get("program:api-1", "command")
    assert api == ('/bin/sh -c "exec /venv/bin/python -m journal >>/srv/state/logs/api-1.log 2>&1"')
    assert [p.name for p in PROGRAMS if p.writes_own_log] == ["api-1", "api-2"]


def test_with_setpriv_each_program_gets_its_stop_signal_when_supervisord_dies() -> None:
    conf = configparser.RawConfigParser()
    conf.read_string(supervisord_conf(OPTIONS, PROGRAMS, "/usr/bin/setpriv"))
    for program in PROGRAMS:
        command = conf.get(f"program:{program.name}", "command")
        assert command.startswith(f"/usr/bin/setpriv --pdeathsig {program.stopsignal} -- ")
    assert "--pdeathsig QUIT -- nginx" in conf.get("program:nginx", "command")  # NGINX drains on QUIT
    assert "setpriv" not in supervisord_conf(OPTIONS, PROGRAMS)  # without it, commands stay as they are


SENTINEL_OPTIONS = replace(OPTIONS, ports=derive_ports(8080, sentinels=3))


def test_sentinel_mode_starts_three_sentinels_first_from_the_charts_script() -> None:
    programs = build_programs(SENTINEL_OPTIONS)
    names = [p.name for p in programs]
    assert names[:3] == ["sentinel-1", "sentinel-2", "sentinel-3"]
    # A second replica: after a failover the promoted one still has a replica to acknowledge writes.
    assert names[3:6] == ["redis-primary", "redis-replica", "redis-replica-2"]
    assert names[6:] == [p.name for p in PROGRAMS[2:]]
    # Lower priority starts first and stops last: no failover while the stack goes down.
    assert max(p.priority for p in programs[:3]) < min(p.priority for p in programs[3:])
    for program, port in zip(programs[:3], (8086, 8087, 8088), strict=True):
        assert program.command[-1].endswith("/redis/sentinel.sh")
        assert program.port == port


def test_sentinel_mode_tells_the_apis_where_the_sentinels_are() -> None:
    apis = [p for p in build_programs(SENTINEL_OPTIONS) if p.name.startswith("api-")]
    assert [p.env["JOURNAL_SENTINEL_ADDRESSES"] for p in apis] == [
        "127.0.0.1:8086,127.0.0.1:8087,127.0.0.1:8088"
    ] * 2
    assert all("JOURNAL_SENTINEL_ADDRESSES" not in p.env for p in PROGRAMS)
