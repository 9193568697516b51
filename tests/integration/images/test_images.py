"""The images, checked without a container engine: their Dockerfiles lint clean, and the API
image's install step (images/api/install.sh, run here as the Dockerfile runs it) gives a
virtualenv with the service's dependencies and none of the toolkit's, in which the journal runs;
the toolkit image's (images/kbp/install.sh) the reverse, in which `kbp reap` runs."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import time
import tomllib
from pathlib import Path

import httpx
import pytest
from packaging.requirements import Requirement

from kbp.lint.runner import Request, Streams, run
from kbp.ports import free_ports
from support.processes import stop_group
from support.redis import RedisPair

ROOT = Path(__file__).parents[3]
EXTRAS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]


def names(requirements: list[str]) -> set[str]:
    return {Requirement(r).name.lower().replace("_", "-") for r in requirements}


def uv_bin_dir() -> str:
    found = shutil.which("uv")
    if found:
        return str(Path(found).parent)
    # `make` installs uv with pip as a module; its binary sits in that package.
    code = "import uv; print(uv.find_uv_bin())"
    out = subprocess.run(["python3", "-c", code], capture_output=True, text=True, check=True).stdout
    return str(Path(out.strip()).parent)


def install(image: str, venv: Path) -> Path:
    """Run images/<image>/install.sh as its Dockerfile does."""
    env = {**os.environ, "PATH": f"{uv_bin_dir()}:{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)
    subprocess.run(
        ["sh", f"images/{image}/install.sh", str(venv)], cwd=ROOT, env=env, check=True, timeout=300
    )
    return venv


@pytest.fixture(scope="module")
def service_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install("api", tmp_path_factory.mktemp("image") / "venv")


@pytest.fixture(scope="module")
def toolkit_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install("kbp", tmp_path_factory.mktemp("image") / "venv")


def installed(venv: Path) -> set[str]:
    code = "import importlib.metadata as m, json; print(json.dumps([d.name for d in m.distributions()]))"
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True
    )
    return {name.lower().replace("_", "-") for name in json.loads(out.stdout)}


def test_the_dockerfiles_lint_clean() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run(Request(paths=(str(ROOT / "images"),)), Streams(io.BytesIO(), out, err))
    assert (code, out.getvalue()) == (0, ""), err.getvalue()
    assert "in 3 files" in err.getvalue()


def test_the_service_venv_has_the_journal_extra_and_nothing_of_the_toolkit(service_venv: Path) -> None:
    packages = installed(service_venv)
    assert names(EXTRAS["journal"]) <= packages
    toolkit_only = names(EXTRAS["kbp"]) - names(EXTRAS["journal"])
    assert toolkit_only, "the kbp extra lists packages of its own"
    assert not packages & toolkit_only, f"toolkit packages in the service image: {packages & toolkit_only}"
    assert "pytest" not in packages
    assert "kbp" not in packages, "the project itself (which carries the kbp package) is not installed"


def test_the_journal_starts_from_the_service_venv(
    service_venv: Path, redis_pair: RedisPair, tmp_path: Path
) -> None:
    app = tmp_path / "app"
    shutil.copytree(ROOT / "src" / "journal", app / "journal")  # what the Dockerfile copies
    (port,) = free_ports(1)
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(app),
        "JOURNAL_HOST": "127.0.0.1",
        "JOURNAL_PORT": str(port),
        "JOURNAL_CONFIG_DIR": str(tmp_path / "no-config"),
        "JOURNAL_REDIS_WRITE_URL": redis_pair.primary.url,
        "JOURNAL_REDIS_READ_URL": redis_pair.replica.url,
        "JOURNAL_REDIS_PASSWORD_FILE": str(redis_pair.password_file),
    }
    with (tmp_path / "journal.log").open("wb") as log:
        process = subprocess.Popen(
            [str(service_venv / "bin" / "python"), "-m", "journal"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, (tmp_path / "journal.log").read_text()
                assert time.monotonic() < deadline, "the journal never answered"
                time.sleep(0.1)
        assert ready.status_code == 200
        created = httpx.post(f"http://127.0.0.1:{port}/api", json={"text": "from the image"}, timeout=5)
        assert created.status_code == 201
    finally:
        assert stop_group(process, 20.0) == 0


def test_the_toolkit_venv_has_the_kbp_extra_and_nothing_of_the_service(toolkit_venv: Path) -> None:
    packages = installed(toolkit_venv)
    assert names(EXTRAS["kbp"]) <= packages
    service_only = names(EXTRAS["journal"]) - names(EXTRAS["kbp"]) - {"pydantic"}  # typer needs pydantic
    assert not packages & service_only, f"service packages in the toolkit image: {packages & service_only}"
    assert "pytest" not in packages
    assert "kbp" not in packages, "the project itself (which carries the journal package) is not installed"


def test_kbp_reap_runs_from_the_toolkit_venv(toolkit_venv: Path, tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(ROOT / "src" / "kbp", app / "kbp")  # what the Dockerfile copies
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(app), "HOME": str(tmp_path)}
    result = subprocess.run(
        [str(toolkit_venv / "bin" / "python"), "-m", "kbp", "reap", "--help"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "--max-deletions" in result.stdout
