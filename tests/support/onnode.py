"""The journal chart on the real node, from the images `kbp image build` loaded there: install it,
reach its Services from inside the node's network, ask its Redis pods directly."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kbp import kube
from kbp.charts import journal_chart
from kbp.cluster.record import RealNode
from support.controlplane import ControlPlane

ROOT = Path(__file__).parents[2]
REDIS_PODS = ("journal-redis-0", "journal-redis-replica-0", "journal-redis-replica-1")
CHART = journal_chart()
INSTALL_TIMEOUT_S = 300


def helm(
    plane: ControlPlane, *args: str, timeout: float = INSTALL_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(plane.bin_dir / "helm"), *args],
        env=plane.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"helm {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


def install(plane: ControlPlane, namespace: str, local: Path, *sets: str, release: str = "journal") -> float:
    """`helm install --wait` with the dev values and the local images; seconds until all Ready."""
    args = ["install", release, str(CHART), "-n", namespace, "-f", str(CHART / "values-dev.yaml")]
    args += ["-f", str(local), "--wait", "--timeout", f"{INSTALL_TIMEOUT_S - 10}s"]
    for assignment in sets:
        args += ["--set", assignment]
    began = time.monotonic()
    helm(plane, *args)
    return time.monotonic() - began


def kubectl(plane: ControlPlane, *args: str, timeout: float = 120) -> str:
    done = subprocess.run(
        [str(plane.bin_dir / "kubectl"), *args],
        check=False,
        env=plane.env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"kubectl {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def redis_cli(plane: ControlPlane, namespace: str, pod: str, *args: str, host: str = "127.0.0.1") -> str:
    """redis-cli in `pod`'s redis container, with the password from its own mounted file."""
    script = 'REDISCLI_AUTH="$(head -n 1 /etc/redis-passwd/passwd)" exec redis-cli --raw -h "$0" "$@"'
    return kubectl(plane, "exec", "-n", namespace, pod, "-c", "redis", "--", "sh", "-c", script, host, *args)


def role(plane: ControlPlane, namespace: str, pod: str, host: str = "127.0.0.1") -> str:
    for line in redis_cli(plane, namespace, pod, "INFO", "replication", host=host).splitlines():
        if line.startswith("role:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no role in INFO replication of {pod}")


def cluster_ip(client: kube.KubeClient, namespace: str, service: str) -> str:
    return str(kube.get(client, "v1", "Service", service, namespace)["spec"]["clusterIP"])


def in_node(node: RealNode, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """A command of this host run inside the node's network (Service and pod IPs route there)."""
    return subprocess.run(
        node.in_network(*argv), capture_output=True, text=True, timeout=timeout, check=False
    )


def http(node: RealNode, method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, str]:
    """One request from inside the node's network: (status, body)."""
    code = (
        "import sys, httpx, json\n"
        "body = json.loads(sys.argv[3]) if sys.argv[3] else None\n"
        "r = httpx.request(sys.argv[1], sys.argv[2], json=body, timeout=10)\n"
        "print(r.status_code); print(r.text, end='')\n"
    )
    done = in_node(node, sys.executable, "-c", code, method, url, json.dumps(body) if body else "")
    assert done.returncode == 0, done.stderr
    status, _, text = done.stdout.partition("\n")
    return int(status), text


@dataclass
class Load:
    """A steady load (support.netload) running in the node's network; `result` once stopped."""

    process: subprocess.Popen[bytes]
    stop_file: Path
    out_file: Path
    result: dict[str, Any] | None = None


@contextmanager
def steady_load(node: RealNode, url: str, scratch: Path, seconds: float = 240) -> Iterator[Load]:
    stop, out = scratch / "stop", scratch / "load.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    argv = node.in_network(sys.executable, "-m", "support.netload", url, str(stop), str(out), str(seconds))
    log = (scratch / "load.log").open("wb")
    process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    load = Load(process, stop, out)
    try:
        yield load
    finally:
        stop.touch()
        process.wait(timeout=60)
        log.close()
    assert process.returncode == 0, (scratch / "load.log").read_text()
    load.result = json.loads(out.read_text())


def pods(client: kube.KubeClient, namespace: str, component: str) -> list[dict[str, Any]]:
    selector = {"app.kubernetes.io/component": component}
    return sorted(
        kube.list_objects(client, "v1", "Pod", namespace, selector), key=lambda p: p["metadata"]["name"]
    )


def wait_for(check: Any, what: str, timeout_s: float = 120, state: Any = None) -> Any:
    """Poll `check` until truthy; on time-out, say what `state()` (if given) shows then."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            got = check()
        except AssertionError:
            got = None
        if got:
            return got
        assert time.monotonic() < deadline, f"timed out waiting for {what}" + (
            f": {state()}" if state else ""
        )
        time.sleep(0.5)


def texts(plane: ControlPlane, namespace: str, pod: str) -> Sequence[str]:
    """Every entry's text stored in that Redis pod (HVALS journal:entries)."""
    raw = redis_cli(plane, namespace, pod, "HVALS", "journal:entries")
    return [json.loads(line)["text"] for line in raw.splitlines() if line.strip()]


def roles(plane: ControlPlane, ns: str) -> dict[str, str]:
    """Each Redis pod's replication role, or "unreachable" while its server is down."""
    found = {}
    for pod in REDIS_PODS:
        try:
            found[pod] = role(plane, ns, pod)
        except AssertionError:
            found[pod] = "unreachable"
    return found


def primary(plane: ControlPlane, ns: str) -> str | None:
    """The one Redis pod that says it is the primary, or None while there is not exactly one."""
    masters = [pod for pod, said in roles(plane, ns).items() if said == "master"]
    return masters[0] if len(masters) == 1 else None


def container_pid(node: RealNode, pod: str, ns: str, container: str) -> int:
    labels = ["--label", f"io.kubernetes.pod.name={pod}", "--label", f"io.kubernetes.pod.namespace={ns}"]
    listed = subprocess.run(
        node.crictl("ps", "-q", "--name", f"^{container}$", *labels),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert len(listed) == 1, listed
    inspect = subprocess.run(
        node.crictl("inspect", listed[0]), capture_output=True, text=True, timeout=60, check=True
    )
    found = json.loads(inspect.stdout)
    pid = int(found["info"]["pid"])
    # A container that exited between `ps` and `inspect` has pid 0, and os.kill(0, SIGKILL) kills
    # the caller's whole process group: the pytest run, its make and CI's job with it.
    if pid <= 0 or found["status"]["state"] != "CONTAINER_RUNNING":
        raise ValueError(f"{pod}'s {container} container is not running: {found['status']['state']}")
    return pid


def unavailable_s(acknowledged: dict[str, float], moment: float) -> float:
    times = sorted(at for at in acknowledged.values() if at > moment)
    assert times, "no write was acknowledged after the kill"
    return max(later - earlier for earlier, later in zip([moment, *times], times, strict=False))


def keep_killed(
    node: RealNode,
    pod: str,
    ns: str,
    container: str,
    seconds: float,
    until: Callable[[], object] | None = None,
    timeout_s: float = 120,
) -> float:
    """SIGKILL the container's process, and again each time kubelet restarts it, for `seconds`,
    and then on until `until()` is true (asked each second, beside the killing; `timeout_s` at most).

    kubelet restarts a crashed container at once the first time; a primary back before Sentinel's
    down-after would stay primary. Killing it for longer than down-after is a primary that stays
    down, so the sentinels fail over; on a loaded machine that can take longer than down-after and
    a little, hence `until` (a replica promoted). Returns the moment of the first kill
    (CLOCK_MONOTONIC).
    """
    first = None
    killed: set[int] = set()
    began = time.monotonic()
    done = threading.Event()

    def ask() -> None:
        while not done.wait(1.0):
            if until is None or time.monotonic() - began < seconds:
                continue
            with contextlib.suppress(AssertionError):  # a pod that does not answer yet
                if until():
                    done.set()

    asking = threading.Thread(target=ask, daemon=True)
    asking.start()
    try:
        while True:
            elapsed = time.monotonic() - began
            if elapsed >= seconds and (until is None or done.is_set() or elapsed >= timeout_s):
                break
            try:
                pid = container_pid(node, pod, ns, container)
            except (AssertionError, subprocess.CalledProcessError, KeyError, ValueError):
                pid = None
            if pid is not None and pid not in killed:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                killed.add(pid)
                first = first or time.monotonic()
            time.sleep(0.2)
    finally:
        done.set()
        asking.join()
    assert first is not None, f"never found {pod}'s {container} container to kill"
    return first
