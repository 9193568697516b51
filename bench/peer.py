"""The book's sample (bench/sample/server.js) as a peer of the journal in bench/journal.py.

Two Node processes per variant (one logging each URL, as the book's sample does, one without, and one
without that also waits for a replica to confirm each write, as the journal does), on the stack's Redis
primary, behind an NGINX of their own whose config is the journal's own nginx.conf with
only the ports, pid and log paths changed: same workers, keepalive upstream, JSON access log.
node-redis 3 is installed with npm into a cache outside the repository on first use.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from kbp.localrun.options import StackOptions
from kbp.ports import free_ports

SERVER_JS = Path(__file__).resolve().parent / "sample" / "server.js"
NODE_CACHE = Path.home() / ".cache" / "kbp" / "bench-node"
SAMPLE_KEY = "journal-key"
# The journal's page size: under a read/write mix the sample serves as many entries as the journal does.
KEEP = 10
# The journal's default JOURNAL_REPLICA_ACK_TIMEOUT_S, for the variant with its write guarantee.
WAIT_MS = 1000
# name -> (logs each URL, WAIT 1 after each SET); the bars are against the second one.
VARIANTS = {"sample": (True, False), "sample, no log": (False, False), "sample, WAIT 1": (False, True)}


@dataclass(frozen=True)
class Peer:
    name: str  # a key of VARIANTS
    api_ports: tuple[int, int]
    nginx_port: int
    pids: tuple[int, int]

    @property
    def direct(self) -> str:
        return f"http://127.0.0.1:{self.api_ports[0]}"

    @property
    def proxied(self) -> str:
        return f"http://127.0.0.1:{self.nginx_port}"


def node_modules() -> Path:
    """node-redis 3 in the cache (npm install on first use); a missing node or npm fails loudly."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise SystemExit(f"error: {tool} is not on PATH (apt-get install nodejs npm)")
    modules = NODE_CACHE / "node_modules"
    if not (modules / "redis").is_dir():
        NODE_CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NODE_CACHE), "redis@3"],
            check=True,
            capture_output=True,
        )
    return modules


def peer_nginx_conf(journal_conf: str, options: StackOptions, *, nginx_port: int, api_ports: tuple[int, int],
                    state: Path) -> str:  # fmt: skip
    """The journal's nginx.conf pointed at the sample: ports, pid file and access log swapped."""
    paths = options.paths
    swaps = [
        (f"listen 127.0.0.1:{options.ports.nginx};", f"listen 127.0.0.1:{nginx_port};"),
        (str(paths.run / "nginx.pid"), str(state / "nginx.pid")),
        (str(paths.log("nginx-access")), str(state / "nginx-access.log")),
        *(
            (f"server 127.0.0.1:{journal} ", f"server 127.0.0.1:{sample} ")
            for journal, sample in zip(options.ports.api, api_ports, strict=True)
        ),
    ]
    text = journal_conf
    for old, new in swaps:
        if text.count(old) != 1:
            raise SystemExit(f"error: the journal's nginx.conf has {text.count(old)} of {old!r}, expected 1")
        text = text.replace(old, new)
    return text


@contextmanager
def peers(options: StackOptions, tmp: Path, password: str) -> Iterator[list[Peer]]:
    """Both variants running and answering; everything started here is stopped on exit."""
    modules = node_modules()
    journal_conf = options.paths.nginx_conf.read_text()
    processes: list[subprocess.Popen[bytes]] = []
    started: list[Peer] = []
    try:
        for name, (logs, waits) in VARIANTS.items():
            state = tmp / name.replace(", ", "-").replace(" ", "-")
            state.mkdir()
            nginx_port, api_1, api_2 = free_ports(3)
            env = {**os.environ, "NODE_PATH": str(modules), "REDIS_PASSWORD": password,
                   "SAMPLE_QUIET": "0" if logs else "1", "SAMPLE_KEEP": str(KEEP),
                   "SAMPLE_WAIT_MS": str(WAIT_MS if waits else 0)}  # fmt: skip
            nodes = []
            for port in (api_1, api_2):
                with (state / f"node-{port}.log").open("wb") as log:
                    node = subprocess.Popen(
                        ["node", str(SERVER_JS), str(port), str(options.ports.redis_primary)],
                        env=env, stdout=log, stderr=subprocess.STDOUT,
                    )  # fmt: skip
                processes.append(node)
                nodes.append(node)
            conf = state / "nginx.conf"
            ports = (api_1, api_2)
            text = peer_nginx_conf(journal_conf, options, nginx_port=nginx_port, api_ports=ports, state=state)
            conf.write_text(text)
            nginx = subprocess.Popen(
                ["nginx", "-p", str(state), "-c", str(conf), "-g", "daemon off;"],
                stdout=subprocess.DEVNULL, stderr=(state / "nginx-error.log").open("wb"),
            )  # fmt: skip
            processes.append(nginx)
            peer = Peer(name, (api_1, api_2), nginx_port, (nodes[0].pid, nodes[1].pid))
            for url in (f"http://127.0.0.1:{api_1}", f"http://127.0.0.1:{api_2}", peer.proxied):
                wait_for(f"{url}/api")
            started.append(peer)
        yield started
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(url: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            httpx.get(url, timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def seed(peer: Peer, entries: list[bytes]) -> None:
    """The journal's own entries, oldest first, posted to the sample (it keeps what it is sent)."""
    with httpx.Client(base_url=peer.direct, timeout=10) as client:
        for entry in entries:
            client.post("/api", content=entry).raise_for_status()


def listening_pids(port: int) -> list[int]:
    """Every process holding the listening socket on `port`."""
    output = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True,
                            check=True).stdout  # fmt: skip
    return sorted({int(part.split(",")[0]) for part in output.split("pid=")[1:]})


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """`VmRSS` (now) or `VmHWM` (the peak since start) of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise SystemExit(f"error: /proc/{pid}/status has no {field}")
