"""Image names agree: the images built here, the charts' defaults and every place the docs name them.

Each of the project's images has its repository stated once, as its chart's default value
(`kbp image build` reads it there); anything else that names one must name the same.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from kbp.images import catalog
from kbp.images.build import repository
from kbp.images.buildah import BuildError

ROOT = Path(__file__).parents[3]
# Where people read or copy an image name from; tests/lint_fixtures name wrong ones on purpose.
STATED_IN = ("README.md", "docs/*.md", "images/*/Dockerfile", "charts/*/values*.yaml", "deploy/**/*.yaml")
# The project's own registry path and the local stand-ins' (not third-party images).
OWN = re.compile(r"\b(?:ghcr\.io/kbp|localhost/kbp)/[A-Za-z0-9._/-]*[A-Za-z0-9]")


def _values(path: str) -> Any:
    return yaml.safe_load((ROOT / path).read_text())


def test_each_image_is_built_under_the_repository_its_chart_installs_by_default() -> None:
    journal = _values(catalog.JOURNAL_VALUES)["image"]
    reaper = _values(catalog.REAPER_VALUES)["image"]
    assert repository(ROOT, catalog.by_name("api")) == journal["api"]["repository"]
    assert repository(ROOT, catalog.by_name("fileserver")) == journal["fileserver"]["repository"]
    assert repository(ROOT, catalog.by_name("kbp")) == reaper["repository"]


def test_every_image_the_project_names_is_one_it_builds() -> None:
    built = {repository(ROOT, image) for image in catalog.IMAGES}
    found = {}
    for pattern in STATED_IN:
        for path in sorted(ROOT.glob(pattern)):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for name in OWN.findall(line):
                    found[f"{path.relative_to(ROOT)}:{number}"] = name
    assert found, "no image named anywhere: the pattern is wrong"
    wrong = {where: name for where, name in found.items() if name not in built}
    assert not wrong, f"names no image kbp builds ({sorted(built)}): {wrong}"


def test_a_chart_default_that_is_missing_or_not_a_name_is_refused_naming_the_key(tmp_path: Path) -> None:
    api = catalog.by_name("api")
    values = tmp_path / catalog.JOURNAL_VALUES
    values.parent.mkdir(parents=True)
    values.write_text("image:\n  api:\n    tag: v1\n")
    with pytest.raises(BuildError, match=r"charts/journal/values\.yaml: image\.api\.repository .*None"):
        repository(tmp_path, api)
    values.write_text("image: [")
    with pytest.raises(BuildError, match=r"cannot read its repository from charts/journal/values\.yaml"):
        repository(tmp_path, api)


def test_the_pipeline_pushes_each_dockerfile_under_the_name_kbp_image_build_gives_it() -> None:
    steps = _values(".github/workflows/ci.yml")["jobs"]["images"]["steps"]
    pushed = {
        step["with"]["file"]: step["with"]["tags"]
        for step in steps
        if str(step.get("uses", "")).startswith("docker/build-push-action@")
    }
    for image in catalog.IMAGES:
        if image.dockerfile is None:
            continue
        name = repository(ROOT, image).rpartition("/")[2]
        tags = pushed.get(image.dockerfile)
        assert tags == f"${{{{ steps.tag.outputs.registry }}}}/{name}:${{{{ steps.tag.outputs.tag }}}}", (
            image.name,
            tags,
        )
