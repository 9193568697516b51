"""Cache keys: the same inputs give the same key, any change to what goes into an image another."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from kbp.images import catalog, keys

ROOT = Path(__file__).parents[3]
FILE = keys.Input("src/journal/app.py", False, "a" * 64)


def test_copy_sources_are_the_context_paths_and_not_other_stages() -> None:
    dockerfile = """\
FROM base AS build
COPY pyproject.toml uv.lock README.md ./
COPY --chown=0:0 web/ /usr/share/nginx/html/
ADD ["images/x y/install.sh", "/tmp/"]
COPY --from=build /opt/venv /opt/venv
COPY \\
  ./src/journal /opt/app/journal
RUN cp README.md /elsewhere
"""
    assert keys.copy_sources(dockerfile) == (
        "pyproject.toml",
        "uv.lock",
        "README.md",
        "web",
        "images/x y/install.sh",
        "src/journal",
    )


def test_the_repository_dockerfiles_copy_what_their_images_need() -> None:
    api = keys.copy_sources((ROOT / "images/api/Dockerfile").read_text())
    assert set(api) == {"pyproject.toml", "uv.lock", "README.md", "images/api/install.sh", "src/journal"}
    assert keys.copy_sources((ROOT / "images/fileserver/Dockerfile").read_text()) == ("web",)


def test_the_image_key_is_stable_and_changes_with_every_input() -> None:
    key = keys.image_key("api", "r", dockerfile="FROM x", inputs=[FILE], base="base1", tools="buildah 1.28")
    assert key == keys.image_key(
        "api", "r", dockerfile="FROM x", inputs=[FILE], base="base1", tools="buildah 1.28"
    )
    assert len(key) == keys.KEY_LENGTH
    others = {
        keys.image_key(
            "api",
            "r",
            dockerfile="FROM x",
            inputs=[replace(FILE, sha256="b" * 64)],
            base="base1",
            tools="buildah 1.28",
        ),
        keys.image_key(
            "api",
            "r",
            dockerfile="FROM x",
            inputs=[replace(FILE, executable=True)],
            base="base1",
            tools="buildah 1.28",
        ),
        keys.image_key(
            "api",
            "r",
            dockerfile="FROM x",
            inputs=[replace(FILE, path="src/journal/api.py")],
            base="base1",
            tools="buildah 1.28",
        ),
        keys.image_key(
            "api",
            "r",
            dockerfile="FROM x",
            inputs=[FILE, replace(FILE, path="new.py")],
            base="base1",
            tools="buildah 1.28",
        ),
        keys.image_key("api", "r", dockerfile="FROM y", inputs=[FILE], base="base1", tools="buildah 1.28"),
        keys.image_key("api", "r", dockerfile="FROM x", inputs=[FILE], base="base2", tools="buildah 1.28"),
        keys.image_key("api", "r", dockerfile="FROM x", inputs=[FILE], base="base1", tools="buildah 1.29"),
        keys.image_key("kbp", "r", dockerfile="FROM x", inputs=[FILE], base="base1", tools="buildah 1.28"),
        keys.image_key(
            "api", "other/repo", dockerfile="FROM x", inputs=[FILE], base="base1", tools="buildah 1.28"
        ),
    }
    assert key not in others
    assert len(others) == 9


def test_the_order_files_are_found_in_does_not_matter() -> None:
    other = replace(FILE, path="src/journal/api.py")
    one = keys.image_key("api", "r", dockerfile=None, inputs=[FILE, other], base="b", tools="t")
    assert one == keys.image_key("api", "r", dockerfile=None, inputs=[other, FILE], base="b", tools="t")


def test_a_base_key_changes_with_its_packages_and_hooks() -> None:
    key = keys.base_key(catalog.REDIS, "t")
    assert key == keys.base_key(catalog.REDIS, "t")
    assert key != keys.base_key(replace(catalog.REDIS, packages=("redis-server",)), "t")
    assert key != keys.base_key(replace(catalog.REDIS, hooks=("true",)), "t")
    assert key != keys.base_key(replace(catalog.REDIS, config=("--user", "0")), "t")
    assert key != keys.base_key(catalog.REDIS, "u")


def test_every_dockerfile_image_names_the_base_argument_its_dockerfile_declares() -> None:
    for image in catalog.IMAGES:
        if image.dockerfile is None:
            continue
        text = (ROOT / image.dockerfile).read_text()
        assert f"ARG {image.base_arg}=" in text, image.dockerfile
        assert f"FROM ${{{image.base_arg}}}" in text, image.dockerfile
        # The default stays the pinned public image.
        default = text.split(f"ARG {image.base_arg}=")[1].split()[0]
        assert "@sha256:" in default, image.dockerfile
