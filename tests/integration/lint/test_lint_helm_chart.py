"""kbp lint --chart with a real helm binary. helm is required: if it is missing this test fails."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from kbp.lint import helm
from kbp.lint.runner import Request, Streams, run

pytestmark = pytest.mark.helm
CHART = Path(__file__).parent / "chart"


def lint_chart(**options: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(Request(chart=CHART, **options), Streams(io.BytesIO(), out, err))  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def test_helm_is_available() -> None:
    assert Path(helm.find_helm()).exists()


def test_default_values_render_clean() -> None:
    code, out, err = lint_chart(release="demo")
    assert (code, out) == (0, ""), err
    assert "4 objects in 4 files" in err


def test_values_files_and_sets_apply_in_order_and_lines_point_into_templates() -> None:
    code, out, _ = lint_chart(values=(CHART / "values-dev.yaml",), sets=("image.tag=latest",), release="demo")
    assert code == 1
    template = CHART / "templates" / "deployment.yaml"
    assert out.splitlines() == [
        f"{template}:9:3: warning min-replicas: replicas is 1; run at least 2 so one failure is not an outage"
        " (Deployment/demo-api)",
        f"{template}:23:11: error image-tag-latest: container 'api':"
        " image 'ghcr.io/example/api:latest' uses :latest (Deployment/demo-api)",
    ]


def test_a_broken_chart_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "Chart.yaml").write_text("apiVersion: v2\nname: broken\nversion: 0.1.0\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "x.yaml").write_text("{{ .Values.missing.key }}\n")
    out, err = io.StringIO(), io.StringIO()
    assert run(Request(chart=tmp_path), Streams(io.BytesIO(), out, err)) == 2
    assert "helm template failed" in err.getvalue()


def test_piped_helm_template_output_names_the_templates() -> None:
    cmd = helm.template_command(
        helm.find_helm(), CHART, values=(CHART / "values-dev.yaml",), sets=(), release="demo", namespace=None
    )
    out, err = io.StringIO(), io.StringIO()
    code = run(Request(paths=("-",)), Streams(io.BytesIO(helm.render(cmd).encode()), out, err))
    assert code == 1
    assert out.getvalue().startswith("lintdemo/templates/deployment.yaml:9:3: warning min-replicas:")
