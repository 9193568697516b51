"""Helm plumbing without helm: the command line we build and how rendered output is split."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbp.lint import helm, loader
from kbp.lint.errors import HelmError

RENDERED = """\
---
# Source: journal/templates/frontend/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: frontend
---
# Source: journal/templates/frontend/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: frontend
spec:
  replicas: 1
---
# Source: journal/templates/empty.yaml

"""


def test_template_command_passes_values_and_sets_in_order() -> None:
    cmd = helm.template_command(
        "/bin/helm",
        Path("charts/journal"),
        values=(Path("values-dev.yaml"), Path("values-ci.yaml")),
        sets=("replicaCount=3", "image.tag=v1.0.1-bfeda01f"),
        release="journal",
        namespace="dev",
    )
    assert cmd == [
        "/bin/helm", "template", "journal", "charts/journal",
        "--values", "values-dev.yaml", "--values", "values-ci.yaml",
        "--set", "replicaCount=3", "--set", "image.tag=v1.0.1-bfeda01f",
        "--namespace", "dev",
    ]  # fmt: skip


def test_split_names_each_document_after_its_template_with_relative_lines() -> None:
    parts = helm.split(RENDERED, Path("charts/journal"))
    assert [p.name for p in parts] == [
        "charts/journal/templates/frontend/service.yaml",
        "charts/journal/templates/frontend/deployment.yaml",
    ]
    [deployment], errors = loader.load(parts[1].text, parts[1].name)
    assert errors == []
    assert deployment.locate(("spec", "replicas")) == (6, 3)


def test_split_without_source_comments_keeps_one_document() -> None:
    [part] = helm.split("apiVersion: v1\nkind: Pod\n", Path("c"))
    assert part.name == "c/(rendered)"


def test_explicit_helm_must_be_executable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KBP_HELM", str(tmp_path / "nope"))
    with pytest.raises(HelmError, match="not an executable"):
        helm.find_helm()


def test_helm_failure_is_reported_with_its_stderr(tmp_path: Path) -> None:
    script = tmp_path / "helm"
    script.write_text("#!/bin/sh\necho 'Error: Chart.yaml file is missing' >&2\nexit 1\n")
    script.chmod(0o755)
    with pytest.raises(HelmError, match=r"Chart\.yaml file is missing"):
        helm.render([str(script), "template", "r", "c"])


def test_piped_render_keeps_helm_paths_and_objects_before_the_first_marker() -> None:
    parts = helm.split("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n" + RENDERED, None, "<stdin>")
    assert [p.name for p in parts] == [
        "<stdin>",
        "journal/templates/frontend/service.yaml",
        "journal/templates/frontend/deployment.yaml",
    ]
