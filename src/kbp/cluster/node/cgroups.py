"""The node's cgroups: one root of its own, nested under this process's cgroup, in every v1 hierarchy.

kubelet's `cgroupRoot` must exist before it starts, at the same path in each hierarchy. It is
nested under the memory cgroup this process runs in (a sandbox may confine us there), and new
cpuset levels get `cpuset.cpus`/`cpuset.mems` from their parent. The daemons themselves join
`<root>/system`, so their shims and every pod process are found, killed and removed from here.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

CGROUP_FS = Path("/sys/fs/cgroup")
# What kubelet needs on v1; pids for the pod PID limit, freezer and devices for runc.
REQUIRED = ("cpu", "cpuacct", "cpuset", "memory", "pids", "devices", "freezer")
SYSTEM = "system"


class CgroupError(Exception):
    """The cgroup layout cannot host the node; the message says what is missing."""


def own_paths(proc_cgroup: str) -> dict[str, str]:
    """Hierarchy (mount directory name) -> this process's path in it, from /proc/self/cgroup text."""
    paths = {}
    for line in proc_cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        if not controllers:
            continue  # the v2 unified hierarchy of a hybrid host: kubelet's v1 mode does not use it
        name = controllers.removeprefix("name=")
        paths[name] = path
    return paths


def mounted() -> set[str]:
    """The v1 hierarchies mounted under /sys/fs/cgroup (by directory name)."""
    if not CGROUP_FS.is_dir():
        return set()
    return {p.name for p in CGROUP_FS.iterdir() if (p / "cgroup.procs").exists() and p.name != "unified"}


def hierarchies() -> list[str]:
    """The v1 hierarchies the node's cgroup root is made in (this process's, mounted)."""
    return sorted(set(own_paths(Path("/proc/self/cgroup").read_text())) & mounted())


def check_v1(hierarchies: dict[str, str], present: set[str]) -> None:
    """Raise unless this is cgroup v1 (or hybrid) with every controller kubelet needs mounted."""
    if not hierarchies:
        raise CgroupError(
            "cgroup v2 only (unified) host: the real node supports cgroup v1 or hybrid hosts so far"
        )
    missing = [c for c in REQUIRED if c not in hierarchies or c not in present]
    if missing:
        raise CgroupError(f"cgroup v1 controllers not mounted under {CGROUP_FS}: {', '.join(missing)}")


def root_for(hierarchies: dict[str, str], node_id: str) -> str:
    """kubelet's cgroupRoot: `<this process's memory cgroup>/kbp-<id>` (pure)."""
    base = hierarchies.get("memory", "/").rstrip("/")
    return f"{base}/kbp-{node_id}"


def create(root: str, hierarchies: list[str]) -> list[Path]:
    """Make `root` and `root/system` in each hierarchy; return the directories made, outermost first."""
    made: list[Path] = []
    for name in hierarchies:
        for level in _levels(f"{root}/{SYSTEM}"):
            directory = CGROUP_FS / name / level.lstrip("/")
            if directory.is_dir():
                continue
            directory.mkdir()
            made.append(directory)
            if name == "cpuset":
                for knob in ("cpuset.cpus", "cpuset.mems"):
                    (directory / knob).write_text((directory.parent / knob).read_text())
    return made


def _levels(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


def join_argv(root: str, hierarchies: list[str]) -> str:
    """A shell prefix that moves the shell into `root/system` everywhere before it execs the daemon."""
    files = " ".join(f"'{CGROUP_FS / h / root.lstrip('/') / SYSTEM / 'cgroup.procs'}'" for h in hierarchies)
    return f'for f in {files}; do echo $$ > "$f"; done; exec "$@"'


def pids(root: str, hierarchies: list[str]) -> set[int]:
    """Every process in `root`'s subtree, in any hierarchy."""
    found: set[int] = set()
    for name in hierarchies:
        top = CGROUP_FS / name / root.lstrip("/")
        if not top.is_dir():
            continue
        for dirpath, _, _ in os.walk(top):
            with contextlib.suppress(FileNotFoundError):
                found |= {int(p) for p in (Path(dirpath) / "cgroup.procs").read_text().split()}
    return found


def kill_all(root: str, hierarchies: list[str], timeout: float = 10.0) -> set[int]:
    """SIGKILL every process under `root` until none is left; return those that would not die."""
    deadline = time.monotonic() + timeout
    while left := pids(root, hierarchies):
        if time.monotonic() >= deadline:
            return left
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)
    return set()


def remove(root: str, hierarchies: list[str], made: list[Path]) -> list[str]:
    """rmdir `root`'s subtree deepest first, then the parents `create` made; return the failures.

    A parent that another node (or anything else) uses by now stays: that is not a failure.
    """
    errors: list[str] = []
    dirs: list[Path] = []
    for name in hierarchies:
        top = CGROUP_FS / name / root.lstrip("/")
        if top.is_dir():
            dirs += [Path(d) for d, _, _ in os.walk(top)]
    for directory in sorted(dirs, key=lambda d: len(d.parts), reverse=True):
        try:
            directory.rmdir()
        except OSError as exc:
            errors.append(f"rmdir {directory}: {exc.strerror}")
    for directory in sorted(made, key=lambda d: len(d.parts), reverse=True):
        with contextlib.suppress(OSError):
            directory.rmdir()
    return errors
