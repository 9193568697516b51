"""The chart's fileserver config, taken from `helm template` output, run by real NGINX, serves the UI."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from kbp.ports import free_ports
from support.charts import Helm, one
from support.processes import stop_group

pytestmark = pytest.mark.helm
WEB = Path(__file__).parents[3] / "web"


def test_the_charts_nginx_config_serves_the_web_ui(helm: Helm, tmp_path: Path) -> None:
    (port,) = free_ports(1)
    data = one(helm.template(sets=[f"fileserver.port={port}"]), "ConfigMap", "journal-fileserver")["data"]
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "fileserver.conf").write_text(data["fileserver.conf"])
    # The container's paths, mapped onto this machine: the two lines that name them.
    server = data["default.conf"]
    assert "root /usr/share/nginx/html;" in server
    server = server.replace("root /usr/share/nginx/html;", f"root {WEB};")
    server = server.replace("/etc/nginx/journal/fileserver.conf", str(conf_dir / "fileserver.conf"))
    server = server.replace(f"listen {port};", f"listen 127.0.0.1:{port};")
    (conf_dir / "default.conf").write_text(server)
    (tmp_path / "logs").mkdir()
    (conf_dir / "nginx.conf").write_text(
        # As root, NGINX's workers would drop to `nobody`, who cannot enter pytest's 0700 tmp dirs
        # or a checkout below one; the container runs them as one user too (uid 101).
        ("user root root;\n" if os.geteuid() == 0 else "")
        + f"""pid {tmp_path}/nginx.pid;
error_log stderr warn;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {conf_dir}/default.conf;
}}
"""
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    with (tmp_path / "logs" / "error.log").open("wb") as errors:
        process = subprocess.Popen(
            [nginx, "-p", str(tmp_path), "-c", str(conf_dir / "nginx.conf"), "-g", "daemon off;"],
            stderr=errors,
            start_new_session=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                health = httpx.get(f"{base}/healthz")
                break
            except httpx.TransportError:
                assert process.poll() is None, (tmp_path / "logs" / "error.log").read_text()
                assert time.monotonic() < deadline, "nginx never answered"
                time.sleep(0.05)
        assert health.status_code == 200
        index = httpx.get(f"{base}/")
        assert index.status_code == 200
        assert index.headers["content-type"].startswith("text/html")
        assert index.text == (WEB / "index.html").read_text()
        assert index.headers["cache-control"] == "no-cache"
        script = httpx.get(f"{base}/app.js")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
        assert httpx.get(f"{base}/missing.html").status_code == 404
    finally:
        stop_group(process, 10.0)
