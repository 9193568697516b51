"""Debian's buildah and mmdebstrap, run with the flags this kind of machine needs.

- `--runtime /usr/sbin/runc`: crun refuses cgroups in hybrid mode; runc runs RUN steps.
- vfs storage under a root of kbp's own, so nothing touches a system store and no overlay mount
  is needed; `--network host` for RUN steps that download packages.
- A TLS-intercepting proxy's CA, when the host has one, is mounted read-only for the build and named
  by `SSL_CERT_FILE` (a build-stage ARG): it is never copied into an image.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kbp.images.catalog import SUITE, Base

RUNTIME = "/usr/sbin/runc"
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")


class BuildError(RuntimeError):
    """A tool is missing or a build step failed; the message names the step and its output's tail."""


def require(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None and not Path(tool).is_file()]
    if missing:
        raise BuildError(
            f"{', '.join(missing)} not found: `bash scripts/install-system-deps.sh` installs "
            "buildah, mmdebstrap, runc and catatonit from Debian"
        )


def _run(argv: Sequence[str], what: str, *, timeout: float = 1800) -> str:
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, check=False, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError as err:
        raise BuildError(f"{what}: {argv[0]} not found") from err
    except subprocess.TimeoutExpired as err:
        raise BuildError(f"{what}: no result after {timeout:.0f} s") from err
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise BuildError(f"{what} failed (exit {done.returncode}):\n{tail}")
    return done.stdout.strip()


def version(tool: str) -> str:
    return _run([tool, "--version"], f"{tool} --version").splitlines()[0]


@dataclass(frozen=True)
class Buildah:
    """buildah with its own vfs store at `store`."""

    store: Path
    driver: str = "vfs"

    def argv(self, *args: str) -> list[str]:
        return [
            "buildah",
            "--root",
            str(self.store / "root"),
            "--runroot",
            str(self.store / "run"),
            "--storage-driver",
            self.driver,
            *args,
        ]

    def run(self, what: str, *args: str) -> str:
        return _run(self.argv(*args), what)

    def exists(self, ref: str) -> bool:
        argv = self.argv("inspect", "--type", "image", ref)
        return subprocess.run(argv, capture_output=True, check=False, timeout=120).returncode == 0

    def commit_rootfs(self, rootfs: Path, config: Sequence[str], ref: str) -> None:
        """A one-layer image from a root filesystem tarball (or a single file at /pause for scratch)."""
        container = self.run("buildah from scratch", "from", "scratch")
        try:
            self.run(f"buildah add {rootfs.name}", "add", container, str(rootfs), "/")
            self.run("buildah config", "config", *config, container)
            self.run(f"buildah commit {ref}", "commit", "--quiet", container, ref)
        finally:
            subprocess.run(self.argv("rm", container), capture_output=True, check=False, timeout=120)

    def commit_file(self, source: Path, target: str, config: Sequence[str], ref: str) -> None:
        """An image from scratch holding one file (the pause binary)."""
        container = self.run("buildah from scratch", "from", "scratch")
        try:
            self.run(f"buildah copy {source}", "copy", "--chmod", "0755", container, str(source), target)
            self.run("buildah config", "config", *config, container)
            self.run(f"buildah commit {ref}", "commit", "--quiet", container, ref)
        finally:
            subprocess.run(self.argv("rm", container), capture_output=True, check=False, timeout=120)

    def build(self, context: Path, dockerfile: Path, ref: str, build_args: dict[str, str]) -> None:
        # No --layers: with vfs every committed step is a full copy of the root filesystem; the cache that
        # matters is kbp's own, one archive per content key.
        args = ["bud", "--runtime", RUNTIME, "--network", "host", "--quiet"]
        ca = Path(os.environ.get("SSL_CERT_FILE") or HOST_CA)
        if ca.is_file():
            args += ["-v", f"{ca.resolve().parent}:/etc/ssl/certs:ro"]
            build_args = {"SSL_CERT_FILE": f"/etc/ssl/certs/{ca.resolve().name}", **build_args}
        uv_cache = _uv_cache()
        if uv_cache is not None:
            # The host's wheels: a cold build downloads only what the host has not. UV_LINK_MODE is
            # not needed: uv falls back to copying across the mount.
            args += ["-v", f"{uv_cache}:/root/.cache/uv"]
        for name, value in sorted(build_args.items()):
            args += ["--build-arg", f"{name}={value}"]
        self.run(
            f"buildah bud {dockerfile.name} ({ref})", *args, "-f", str(dockerfile), "-t", ref, str(context)
        )

    def tag(self, ref: str, *refs: str) -> None:
        self.run(f"buildah tag {ref}", "tag", ref, *refs)

    def push_archive(self, ref: str, archive: Path) -> None:
        """A docker-archive holding `ref` under its name: `ctr images import` keeps the tag."""
        archive.unlink(missing_ok=True)
        self.run(f"buildah push {ref}", "push", "--quiet", ref, f"docker-archive:{archive}:{ref}")

    def pull_archive(self, archive: Path, ref: str) -> None:
        """Put an archive's image back into the store under `ref` (what push_archive wrote)."""
        image_id = self.run(f"buildah pull {archive.name}", "pull", "--quiet", f"docker-archive:{archive}")
        self.tag(image_id.strip().splitlines()[-1], ref)

    def replace(self, repository: str, keep: str) -> None:
        """Remove every other tag of `repository` (older builds), then what no tag holds (stage images)."""
        listed = self.run("buildah images", "images", "--format", "{{.Name}}:{{.Tag}}")
        old = [ref for ref in listed.split() if ref.rpartition(":")[0] == repository and ref != keep]
        if old:
            subprocess.run(self.argv("rmi", *old), capture_output=True, check=False, timeout=600)
        subprocess.run(self.argv("rmi", "--prune"), capture_output=True, check=False, timeout=600)


def _uv_cache() -> Path | None:
    explicit = os.environ.get("UV_CACHE_DIR")
    path = (
        Path(explicit)
        if explicit
        else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "uv"
    )
    return path if path.is_dir() else None


def mmdebstrap(base: Base, target: Path, apt: Path) -> None:
    """Debian `SUITE` with `base.packages` as a tarball at `target`.

    `apt` keeps the downloaded .debs and package lists between runs (synced in and out of the
    chroot, then cleaned from the image as usual), so `apt-get update` fetches only what changed.
    """
    debs, lists = apt / "debs", apt / "lists"
    debs.mkdir(parents=True, exist_ok=True)
    lists.mkdir(parents=True, exist_ok=True)
    argv = [
        "mmdebstrap",
        "--variant=minbase",
        "--mode=root",
        "--format=tar",
        "--skip=essential/unlink",
        # /usr merged by a hook rather than Debian's usrmerge package, which would bring perl (55 MB).
        "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
        # dpkg without fsync (the tarball is written once at the end); removed from the image after.
        "--hook-dir=/usr/share/mmdebstrap/hooks/eatmydata",
        f"--include={','.join(base.packages)}",
        *(f"--dpkgopt={option}" for option in base.dpkg_options),
        '--setup-hook=mkdir -p "$1"/var/cache/apt/archives "$1"/var/lib/apt/lists',
        f"--setup-hook=sync-in {debs} /var/cache/apt/archives/",
        f"--setup-hook=sync-in {lists} /var/lib/apt/lists/",
        *(f"--customize-hook={hook}" for hook in base.hooks),
        f"--customize-hook=sync-out /var/cache/apt/archives {debs}",
        f"--customize-hook=sync-out /var/lib/apt/lists {lists}",
        SUITE,
        str(target),
    ]
    _run(argv, f"mmdebstrap {base.name}")
