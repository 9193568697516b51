"""The edge: helmfile and helm as subprocesses, pointed at one kubeconfig and context.

Which releases are deployed is read from the API instead (kbp.platform.helmstore).

Only paths and names go on a command line (`--kubeconfig`, `--kube-context`, release names);
credentials stay in the kubeconfig file. Output is captured and, on failure, its tail is raised.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kbp.goenv import go_env
from kbp.platform.errors import ToolError
from kbp.platform.releases import Release

TAIL_CHARS = 2000  # of a failed tool's output: enough to see why, short enough to read
BUILD_HINT = "`bash testenv/build.sh` builds helm and helmfile and prints their directory"


@dataclass(frozen=True)
class Target:
    """Where the releases go, and with which tools."""

    helmfile: Path
    helm: Path
    kubeconfig: Path | None = None
    context: str | None = None
    timeout_s: float = 900.0

    def cluster_flags(self) -> list[str]:
        flags = ["--kubeconfig", str(self.kubeconfig)] if self.kubeconfig else []
        return flags + (["--kube-context", self.context] if self.context else [])


def find_tool(name: str) -> Path:
    found = shutil.which(name)
    if found is None:
        raise ToolError(f"{name} not found on PATH; {BUILD_HINT}")
    return Path(found)


def target(kubeconfig: Path | None = None, context: str | None = None) -> Target:
    return Target(find_tool("helmfile"), find_tool("helm"), kubeconfig, context)


class Running:
    """A tool started now and waited for later (`output`), so it runs while the caller works.

    Its output is read as it comes by a daemon thread (a full pipe would stall the tool), so a
    command that exits early (a usage error, a bad file) does not wait for it; `stop` ends it.
    """

    def __init__(self, argv: Sequence[str], t: Target) -> None:
        name = Path(argv[0]).name
        self._what, self._late = f"{name} {' '.join(argv[1:3])}", f"{name} {argv[1]} did not finish"
        self._process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=go_env(),  # helmfile passes it on to the helm processes it runs
        )
        self._done: tuple[str, str | None] = ("", None)  # (stdout, error message), once collected
        self._reader = threading.Thread(target=self._collect, args=(t.timeout_s,), daemon=True)
        self._reader.start()

    def output(self) -> str:
        """Its stdout; ToolError with the tail of its output if it failed or ran out of time."""
        self._reader.join()
        out, error = self._done
        if error is not None:
            raise ToolError(error)
        return out

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
        self._reader.join()

    def _collect(self, timeout_s: float) -> None:
        try:
            out, err = self._process.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()
            self._done = ("", f"{self._late} in {timeout_s:.0f}s")
            return
        if self._process.returncode != 0:
            tail = (err.strip() or out.strip())[-TAIL_CHARS:]
            self._done = (out, f"{self._what} failed (exit {self._process.returncode}):\n{tail}")
        else:
            self._done = (out, None)


def _run(argv: Sequence[str], t: Target) -> str:
    return Running(argv, t).output()


def _helmfile(t: Target, file: Path, environment: str, *args: str) -> list[str]:
    return [
        str(t.helmfile),
        "--file",
        str(file),
        "--environment",
        environment,
        "--helm-binary",
        str(t.helm),
        "--no-color",
        *t.cluster_flags(),
        *args,
    ]


def list_enabled(t: Target, file: Path, environment: str) -> Running:
    """`helmfile list`, started: `parse_enabled` reads its output."""
    return Running(_helmfile(t, file, environment, "list", "--output", "json"), t)


def parse_enabled(out: str) -> set[str]:
    """Keys of the releases switched on in the environment (conditions and `installed:` evaluated)."""
    try:
        rows = json.loads(out or "[]")
    except json.JSONDecodeError as exc:
        raise ToolError(f"helmfile list printed no JSON: {out[:200]!r}") from exc
    return {f"{r['namespace']}/{r['name']}" for r in rows if r.get("enabled") and r.get("installed")}


def render(t: Target, file: Path, environment: str, releases: Iterable[Release]) -> dict[str, str]:
    """Each release's manifest as `apply` would install it, without hooks and tests, by key."""
    wanted = list(releases)
    if not wanted:
        return {}
    with tempfile.TemporaryDirectory(prefix="kbp-render-") as tmp:
        out = Path(tmp)
        _run(
            _helmfile(
                t, file, environment, *_selectors(wanted), "template", "--skip-tests", "--no-hooks",
                "--output-dir", str(out),
                "--output-dir-template", "{{ .OutputDir }}/{{ .Release.Namespace }}/{{ .Release.Name }}",
            ),
            t,
        )  # fmt: skip
        return {r.key: _read_tree(out / r.namespace / r.name) for r in wanted}


def sync(t: Target, file: Path, environment: str, releases: Iterable[Release]) -> None:
    """Install or upgrade exactly these releases; helmfile orders them by `needs`."""
    wanted = list(releases)
    if wanted:
        _run(_helmfile(t, file, environment, *_selectors(wanted), "sync"), t)


def _selectors(releases: Sequence[Release]) -> list[str]:
    """One --selector per release: helmfile ORs them, and ANDs the labels inside one."""
    return [arg for r in releases for arg in ("--selector", f"name={r.name},namespace={r.namespace}")]


def _read_tree(directory: Path) -> str:
    if not directory.is_dir():
        return ""
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return "\n---\n".join(p.read_text() for p in files)
