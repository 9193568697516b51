"""Exit codes, thresholds, config, exemptions and baselines through the runner."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kbp.lint import config
from kbp.lint.rulebook import Severity
from kbp.lint.runner import Request, Streams, run


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


Lint = Callable[..., Outcome]


@pytest.fixture
def lint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lint:
    """Run the lint runner in-process with captured streams, away from the repository's kbp-lint.yaml."""
    monkeypatch.chdir(tmp_path)

    def _lint(*paths: str | Path, stdin: bytes = b"", **options: object) -> Outcome:
        out, err = io.StringIO(), io.StringIO()
        request = Request(paths=tuple(str(p) for p in paths), **options)  # type: ignore[arg-type]
        code = run(request, Streams(io.BytesIO(stdin), out, err))
        return Outcome(code, out.getvalue(), err.getvalue())

    return _lint


GOOD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {app.kubernetes.io/name: api, app.kubernetes.io/instance: prod}
spec:
  replicas: 2
  selector:
    matchLabels: {app.kubernetes.io/name: api, app.kubernetes.io/instance: prod}
  template:
    metadata:
      labels: {app.kubernetes.io/name: api, app.kubernetes.io/instance: prod}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 10001}
      containers:
        - name: api
          image: ghcr.io/example/api:v1.0.1-bfeda01f
          resources:
            requests: {cpu: 100m, memory: 128Mi, ephemeral-storage: 64Mi}
            limits: {cpu: 500m, memory: 256Mi, ephemeral-storage: 256Mi}
          securityContext: {allowPrivilegeEscalation: false}
          readinessProbe: {httpGet: {path: /readyz, port: 8080}}
          livenessProbe: {httpGet: {path: /healthz, port: 8080}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: api
spec:
  maxUnavailable: 1
  selector:
    matchLabels: {app.kubernetes.io/name: api}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api
  labels: {app.kubernetes.io/name: api, app.kubernetes.io/instance: api}
spec:
  podSelector: {matchLabels: {app.kubernetes.io/name: api}}
  policyTypes: [Ingress, Egress]
"""
BARE_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: debug
  labels: {app.kubernetes.io/name: debug, app.kubernetes.io/instance: x}
spec:
  securityContext: {runAsNonRoot: true}
  containers:
    - name: a
      image: busybox:1.36.1
      securityContext: {allowPrivilegeEscalation: false}
      resources:
        requests: {cpu: 1m, memory: 1Mi, ephemeral-storage: 1Mi}
        limits: {cpu: 1m, memory: 1Mi, ephemeral-storage: 1Mi}
      readinessProbe: {exec: {command: ["true"]}}
      livenessProbe: {exec: {command: [sh, -c, "true"]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
  labels: {app.kubernetes.io/name: deny-all, app.kubernetes.io/instance: x}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_clean_input_exits_0(lint: Lint, tmp_path: Path) -> None:
    result = lint(write(tmp_path, "good.yaml", GOOD))
    assert (result.code, result.stdout) == (0, "")
    assert "0 findings; 3 objects in 1 files" in result.stderr


def test_findings_at_threshold_exit_1_and_below_exit_0(lint: Lint, tmp_path: Path) -> None:
    path = write(tmp_path, "pod.yaml", BARE_POD)
    assert lint(path).code == 1  # bare-pod is a warning; default threshold is warning
    assert lint(path, fail_on="error").code == 0
    assert "bare-pod" in lint(path, fail_on="error").stdout  # still reported


@pytest.mark.parametrize(
    ("paths", "fragment"),
    [
        pytest.param([], "nothing to lint", id="no-paths"),
        pytest.param(["/no/such/file.yaml"], "no such file", id="missing-file"),
    ],
)
def test_usage_errors_exit_2(lint: Lint, paths: list[str], fragment: str) -> None:
    result = lint(*paths)
    assert result.code == 2
    assert fragment in result.stderr


def test_bad_fail_on_and_format_exit_2(lint: Lint, tmp_path: Path) -> None:
    path = write(tmp_path, "good.yaml", GOOD)
    assert lint(path, fail_on="fatal").code == 2
    assert lint(path, output="xml").code == 2


def test_input_errors_exit_2_but_other_files_are_still_linted(lint: Lint, tmp_path: Path) -> None:
    write(tmp_path, "a-bad.yaml", "kind: [\n")
    write(tmp_path, "b-pod.yaml", BARE_POD)
    result = lint(tmp_path)
    assert result.code == 2
    assert f"{tmp_path}/a-bad.yaml:2:1: error: invalid YAML" in result.stderr
    assert "bare-pod" in result.stdout
    assert "Traceback" not in result.stderr


def test_empty_directory_is_an_error_not_a_silent_pass(lint: Lint, tmp_path: Path) -> None:
    result = lint(tmp_path)
    assert result.code == 2
    assert "no Kubernetes objects" in result.stderr


def test_directories_skip_charts_and_hidden_files(lint: Lint, tmp_path: Path) -> None:
    write(tmp_path, "chart/Chart.yaml", "apiVersion: v2\nname: c\n")
    write(tmp_path, "chart/templates/x.yaml", "{{ .Values.x }}\n")
    write(tmp_path, ".git/x.yaml", "junk: [\n")
    write(tmp_path, "app/good.yaml", GOOD)
    result = lint(tmp_path)
    assert result.code == 0
    assert "--chart" in result.stderr


def test_annotation_exemption_needs_a_reason(lint: Lint, tmp_path: Path) -> None:
    exempt = BARE_POD.replace(
        "  name: debug\n", '  name: debug\n  annotations: {kbp.dev/lint-exempt: "bare-pod"}\n'
    )
    result = lint(write(tmp_path, "pod.yaml", exempt))
    assert "bare-pod:" in result.stdout
    assert "exemption-reason" in result.stdout
    reasoned = exempt.replace('"bare-pod"}', '"bare-pod", kbp.dev/lint-exempt-reason: "incident 4711"}')
    result = lint(write(tmp_path, "pod.yaml", reasoned))
    assert result.code == 0
    assert "bare-pod" not in result.stdout
    assert "1 exempted" in result.stderr


def test_pod_template_annotations_exempt_the_workload(lint: Lint, tmp_path: Path) -> None:
    single = GOOD.replace("replicas: 2", "replicas: 1").replace(
        "    metadata:\n      labels:",
        "    metadata:\n      annotations:\n        kbp.dev/lint-exempt: min-replicas\n"
        "        kbp.dev/lint-exempt-reason: canary\n      labels:",
    )
    assert lint(write(tmp_path, "d.yaml", single)).code == 0


def test_config_sets_severity_disables_rules_and_exempts_paths(lint: Lint, tmp_path: Path) -> None:
    pod = write(tmp_path, "debug/pod.yaml", BARE_POD)
    config = write(tmp_path, "kbp-lint.yaml", "rules:\n  bare-pod: {severity: info}\n")
    assert lint(pod, config=config).code == 0
    config.write_text("rules:\n  bare-pod: {enabled: false}\n")
    assert "bare-pod" not in lint(pod, config=config).stdout
    config.write_text(f"exemptions:\n  - {{paths: ['{tmp_path}/debug/*'], rules: [bare-pod], reason: e2e}}\n")
    assert lint(pod, config=config).code == 0
    config.write_text("exemptions:\n  - {names: ['debug'], kinds: [Pod], reason: e2e}\n")
    assert lint(pod, config=config).code == 0


def test_config_discovered_in_working_directory(
    lint: Lint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pod = write(tmp_path, "pod.yaml", BARE_POD)
    write(tmp_path, "kbp-lint.yaml", "fail-on: error\n")
    monkeypatch.chdir(tmp_path)
    assert lint(pod).code == 0


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("rules:\n  no-such-rule: {}\n", "unknown rule ids: no-such-rule", id="unknown-rule"),
        pytest.param("fail-on: fatal\n", "unknown severity", id="bad-severity"),
        pytest.param("tag-format: '['\n", "not a regular expression", id="bad-regex"),
        pytest.param("exemptions:\n  - {rules: [bare-pod]}\n", "reason", id="exemption-without-reason"),
        pytest.param("colour: blue\n", "unknown field `colour`", id="unknown-key"),
        pytest.param("rules: [\n", "invalid YAML", id="bad-yaml"),
        pytest.param("min-replicas: 0\n", "`$.min-replicas`", id="min-replicas-below-one"),
        pytest.param("rules: {bare-pod: {severity: loud}}\n", "rules.bare-pod.severity", id="rule-severity"),
        pytest.param("rules: {bare-pod: {enabled: maybe}}\n", "`$.rules[...].enabled`", id="rule-enabled"),
    ],
)
def test_bad_config_exits_2_naming_the_problem(lint: Lint, tmp_path: Path, text: str, fragment: str) -> None:
    config = write(tmp_path, "c.yaml", text)
    result = lint(write(tmp_path, "good.yaml", GOOD), config=config)
    assert result.code == 2
    assert fragment in result.stderr


def test_tag_format_is_configurable(lint: Lint, tmp_path: Path) -> None:
    path = write(tmp_path, "good.yaml", GOOD)
    config = write(tmp_path, "c.yaml", "tag-format: '^\\d+$'\nrules: {image-tag-format: {severity: error}}\n")
    result = lint(path, config=config)
    assert result.code == 1
    assert "configured tag-format" in result.stdout


def test_baseline_reports_only_new_findings_and_survives_line_moves(lint: Lint, tmp_path: Path) -> None:
    pod = write(tmp_path, "pod.yaml", BARE_POD)
    baseline = tmp_path / "baseline.json"
    assert lint(pod, write_baseline=baseline).code == 0
    assert json.loads(baseline.read_text())["kind"] == "LintBaseline"
    pod.write_text("# a comment that moves every line\n\n" + BARE_POD)
    result = lint(pod, baseline=baseline)
    assert (result.code, result.stdout) == (0, "")
    assert "in baseline" in result.stderr
    pod.write_text(BARE_POD.replace("busybox:1.36.1", "busybox"))
    assert "image-tag-latest" in lint(pod, baseline=baseline).stdout


def test_bad_baseline_exits_2(lint: Lint, tmp_path: Path) -> None:
    pod = write(tmp_path, "pod.yaml", BARE_POD)
    assert lint(pod, baseline=write(tmp_path, "b.json", "{nope")).code == 2
    assert lint(pod, baseline=write(tmp_path, "b.json", '{"kind": "Other"}')).code == 2


def test_helm_missing_exits_2_saying_how_to_get_it(
    lint: Lint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KBP_HELM", raising=False)
    result = lint(chart=tmp_path)
    assert result.code == 2
    assert "helm not found" in result.stderr
    assert "KBP_HELM" in result.stderr


def test_repository_config_is_valid() -> None:
    policy = config.load(Path(__file__).parents[3] / "kbp-lint.yaml")
    assert policy.fail_on == Severity.WARNING
    assert policy.exemptions


def test_python_dash_m_entry_matches_kbp_lint(tmp_path: Path) -> None:
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    path = write(tmp_path, "pod.yaml", BARE_POD)
    fast = subprocess.run(
        [sys.executable, "-m", "kbp.lint", "--fail-on", "error", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=tmp_path,
    )
    assert fast.returncode == 0
    assert "bare-pod" in fast.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "kbp.lint", "-o", "yaml", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "invalid choice" in bad.stderr


def test_kbp_lint_with_a_config_never_loads_typer_or_pydantic(tmp_path: Path) -> None:
    """Loading them cost 0.3 s and 0.25 s, most of a lint run (docs/lint.md#performance)."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    path = write(tmp_path, "pod.yaml", BARE_POD)
    write(tmp_path, "kbp-lint.yaml", "rules: {bare-pod: {severity: info}}\n")
    probe = (
        "import sys\nfrom kbp.cli.main import main\nsys.argv = ['kbp', 'lint', sys.argv[1]]\n"
        "try:\n    main()\nexcept SystemExit as done:\n"
        "    print(done.code, sorted(m for m in ('typer', 'pydantic', 'rich') if m in sys.modules))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert run.stdout.splitlines()[-1] == "0 []", run.stdout + run.stderr  # info only: the config was read


def test_annotations_cannot_exempt_exemption_reason_but_config_can(lint: Lint, tmp_path: Path) -> None:
    notes = '  annotations: {kbp.dev/lint-exempt: "exemption-reason,nope", kbp.dev/lint-exempt-reason: x}\n'
    pod = write(tmp_path, "pod.yaml", BARE_POD.replace("  name: debug\n", "  name: debug\n" + notes))
    assert "exemption-reason" in lint(pod).stdout
    config = write(tmp_path, "c.yaml", f"exemptions: [{{paths: ['{tmp_path}/*'], reason: fixtures}}]\n")
    assert lint(pod, config=config).stdout == ""


def test_unwritable_baseline_exits_2(lint: Lint, tmp_path: Path) -> None:
    pod = write(tmp_path, "pod.yaml", BARE_POD)
    result = lint(pod, write_baseline=tmp_path / "missing-dir" / "b.json")
    assert result.code == 2
    assert "cannot write baseline" in result.stderr


def test_config_can_forbid_self_exemption_and_tune_rule_options(lint: Lint, tmp_path: Path) -> None:
    notes = '  annotations: {kbp.dev/lint-exempt: "bare-pod", kbp.dev/lint-exempt-reason: "debugging"}\n'
    pod = write(tmp_path, "pod.yaml", BARE_POD.replace("  name: debug\n", "  name: debug\n" + notes))
    assert "bare-pod" not in lint(pod).stdout
    config = write(tmp_path, "c.yaml", "annotation-exemptions: false\n")
    assert "bare-pod" in lint(pod, config=config).stdout
    deployment = write(tmp_path, "good.yaml", GOOD)
    config.write_text("min-replicas: 3\nrequired-labels: [team]\n")
    out = lint(deployment, config=config).stdout
    assert "replicas is 2; run at least 3" in out
    assert "missing labels team" in out
