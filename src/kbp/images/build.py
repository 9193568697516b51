"""Build the images into a content-addressed cache: `<cache>/archives/<name>-<key>.tar`.

Each archive is a docker-archive holding `<repository>:key-<key>` (the pause image: its fixed name),
so the same inputs are built once and loading retags them under the release's tag. A flock keeps
two builds from sharing a store at once; an archive is renamed into place only when complete.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from kbp.images import keys
from kbp.images.buildah import Buildah, BuildError, mmdebstrap, require, version
from kbp.images.catalog import IMAGES, PAUSE_BINARY, PAUSE_REF, Base, Image

# Archives kept per image: checkouts at different commits (worktrees, a branch switch) sharing the
# cache would otherwise evict each other's archive on every build.
KEEP_ARCHIVES = 3


def default_cache() -> Path:
    explicit = os.environ.get("KBP_IMAGE_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kbp" / "images"


@dataclass(frozen=True)
class Built:
    name: str
    ref: str  # the name inside the archive
    key: str
    archive: Path
    cached: bool
    seconds: float
    retag: str | None  # the repository to retag under the release's tag; None keeps `ref`


@contextmanager
def _locked(cache: Path) -> Iterator[None]:
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _git_files(root: Path, sources: Sequence[str]) -> list[str]:
    """Tracked and untracked-but-not-ignored files under `sources`: what a clean checkout would copy."""
    done = subprocess.run(
        [
            "git",
            "-C",
            str(root),
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
            "--",
            *sources,
        ],
        capture_output=True,
        check=False,
        timeout=60,
    )
    if done.returncode != 0:
        raise BuildError(f"git ls-files in {root}: {done.stderr.decode().strip() or 'failed'}")
    names = sorted({name for name in done.stdout.decode().split("\0") if name})
    return [name for name in names if (root / name).is_file()]


def repository(root: Path, image: Image) -> str:
    """The repository `image` is built and loaded under: its chart's default, read from the checkout."""
    if image.default is None:
        assert image.repository is not None, image.name
        return image.repository
    where = image.default
    try:
        value: object = yaml.safe_load((root / where.values).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise BuildError(f"{image.name}: cannot read its repository from {where.values}: {err}") from err
    for part in where.key:
        value = value.get(part) if isinstance(value, dict) else None
    if not isinstance(value, str) or not value:
        raise BuildError(f"{image.name}: {where.shown} is not a repository name (found {value!r})")
    return value


def _inputs(root: Path, files: Sequence[str]) -> list[keys.Input]:
    found = []
    for name in files:
        path = root / name
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        found.append(keys.Input(name, os.access(path, os.X_OK), digest))
    return found


class Builder:
    """Everything one `kbp image build` run shares: the repository, the cache, the tools' versions."""

    def __init__(self, root: Path, cache: Path, say: Callable[[str], None]) -> None:
        require("buildah", "mmdebstrap", "git", "/usr/sbin/runc", PAUSE_BINARY)
        self.root = root
        self.cache = cache
        self.say = say
        self.buildah = Buildah(cache / "buildah", os.environ.get("KBP_BUILDAH_DRIVER", "vfs"))
        self.tools = f"{version('buildah')}; {version('mmdebstrap')}"
        (cache / "archives").mkdir(parents=True, exist_ok=True)

    def _archive(self, name: str, key: str) -> Path:
        return self.cache / "archives" / f"{name}-{key}.tar"

    def base(self, base: Base) -> str:
        """The base image's ref in the store, made with mmdebstrap unless it is there already."""
        ref = f"{base.ref}:{keys.base_key(base, self.tools)}"
        if self.buildah.exists(ref):
            return ref
        self.say(f"making the {base.name} base from Debian {base.packages} (mmdebstrap)")
        with tempfile.TemporaryDirectory(prefix="kbp-base-", dir=self.cache) as scratch:
            rootfs = Path(scratch) / f"{base.name}.tar"
            mmdebstrap(base, rootfs, self.cache / "apt")
            self.buildah.commit_rootfs(rootfs, base.config, ref)
        self.buildah.replace(base.ref, ref)
        return ref

    def image(self, image: Image) -> Built:
        started = time.monotonic()
        repo = repository(self.root, image)
        base_ref = None
        recipe = (image.dockerfile, image.base_arg) if image.dockerfile and image.base_arg else None
        files: list[str] = []
        if recipe is None:
            base_ref = self.base(image.base)
            key = keys.image_key(
                image.name, repo, dockerfile=None, inputs=(), base=base_ref, tools=self.tools
            )
        else:
            dockerfile = (self.root / recipe[0]).read_text(encoding="utf-8")
            files = _git_files(self.root, keys.copy_sources(dockerfile))
            base_key = keys.base_key(image.base, self.tools)
            key = keys.image_key(
                image.name,
                repo,
                dockerfile=dockerfile,
                inputs=_inputs(self.root, files),
                base=base_key,
                tools=self.tools,
            )
        ref = f"{repo}:key-{key}"
        archive = self._archive(image.name, key)
        if archive.is_file():
            self._in_store(ref, archive)
            return Built(image.name, ref, key, archive, True, time.monotonic() - started, repo)
        if base_ref is None:
            base_ref = self.base(image.base)
        self.say(f"building {image.name} ({ref})")
        if recipe is None:
            self.buildah.tag(base_ref, ref)  # the base is the image: Debian's Redis
        else:
            with tempfile.TemporaryDirectory(prefix="kbp-context-", dir=self.cache) as scratch:
                # Only what the Dockerfile copies, as a clean checkout has it (no __pycache__).
                context = Path(scratch)
                for name in [*files, recipe[0]]:
                    (context / name).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(self.root / name, context / name)
                self.buildah.build(context, context / recipe[0], ref, {recipe[1]: base_ref})
        self._publish(ref, archive)
        self.buildah.replace(repo, ref)
        return Built(image.name, ref, key, archive, False, time.monotonic() - started, repo)

    def pause(self) -> Built:
        """registry.k8s.io/pause:3.10.2 from scratch: Debian's static catatonit in pause mode."""
        started = time.monotonic()
        binary = Path(PAUSE_BINARY)
        digest = hashlib.sha256(binary.read_bytes()).hexdigest()
        key = keys.image_key(
            "pause",
            PAUSE_REF,
            dockerfile=None,
            inputs=[keys.Input("pause", True, digest)],
            base="",
            tools=self.tools,
        )
        archive = self._archive("pause", key)
        if archive.is_file():
            self._in_store(PAUSE_REF, archive)
            return Built("pause", PAUSE_REF, key, archive, True, time.monotonic() - started, None)
        self.say(f"building pause ({PAUSE_REF})")
        config = ("--entrypoint", '["/pause", "-P"]', "--user", "65535:65535")
        self.buildah.commit_file(binary, "/pause", config, PAUSE_REF)
        self._publish(PAUSE_REF, archive)
        return Built("pause", PAUSE_REF, key, archive, False, time.monotonic() - started, None)

    def _in_store(self, ref: str, archive: Path) -> None:
        # The store keeps one build per repository but the cache several archives: a build at another
        # commit may have replaced this one there since, and a cached image must still be runnable.
        if not self.buildah.exists(ref):
            self.buildah.pull_archive(archive, ref)

    def _publish(self, ref: str, archive: Path) -> None:
        """Write the archive whole, then drop this image's archives beyond the newest few."""
        partial = archive.with_suffix(".partial")
        self.buildah.push_archive(ref, partial)
        partial.rename(archive)
        name = archive.name.rpartition("-")[0]
        mine = [old for old in archive.parent.glob(f"{name}-*.tar") if old.name.rpartition("-")[0] == name]
        for old in stale_archives(archive, mine, KEEP_ARCHIVES):
            old.unlink(missing_ok=True)


def stale_archives(current: Path, archives: Sequence[Path], keep: int) -> list[Path]:
    """All but the `keep` newest (by mtime) of one image's archives, never `current`."""
    newest = sorted((a for a in archives if a != current), key=lambda a: a.stat().st_mtime, reverse=True)
    return newest[keep - 1 :]


def build(
    root: Path, names: Sequence[str], *, cache: Path | None = None, say: Callable[[str], None] = print
) -> list[Built]:
    """Build (or find in the cache) each named image, in catalog order, pause last."""
    cache = cache or default_cache()
    with _locked(cache):
        builder = Builder(root, cache, say)
        built = [builder.image(image) for image in IMAGES if image.name in names]
        if "pause" in names:
            built.append(builder.pause())
        return built
