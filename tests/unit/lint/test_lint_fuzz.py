"""Fuzz the parsing entry points and the rules: hostile input gives errors or findings, never a crash."""

from __future__ import annotations

import io
import os
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kbp.lint import dockerfiles, engine, images, loader, sources
from kbp.lint.errors import InputError
from kbp.lint.manifests import TEMPLATE_PATHS
from kbp.lint.runner import Request, Streams, run
from kbp.lint.sources import Source

# KBP_FUZZ_EXAMPLES=5000 for a deep run; the default keeps the unit suite quick.
EXAMPLES = int(os.environ.get("KBP_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KINDS = [
    *TEMPLATE_PATHS,
    "Pod",
    "Service",
    "Ingress",
    "ConfigMap",
    "Namespace",
    "HorizontalPodAutoscaler",
    "List",
]
KEYS = [
    "metadata",
    "spec",
    "template",
    "containers",
    "initContainers",
    "image",
    "name",
    "namespace",
    "labels",
    "annotations",
    "selector",
    "matchLabels",
    "matchExpressions",
    "replicas",
    "resources",
    "requests",
    "limits",
    "volumes",
    "configMap",
    "secret",
    "persistentVolumeClaim",
    "claimName",
    "env",
    "envFrom",
    "valueFrom",
    "secretKeyRef",
    "securityContext",
    "runAsUser",
    "runAsNonRoot",
    "privileged",
    "tls",
    "rules",
    "host",
    "http",
    "paths",
    "backend",
    "service",
    "port",
    "serviceName",
    "clusterIP",
    "data",
    "items",
    "scaleTargetRef",
    "minReplicas",
    "kbp.dev/lint-exempt",
    "kbp.dev/lint-exempt-reason",
    "capabilities",
    "add",
    "hosts",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 5),
    st.sampled_from(["", "None", "nginx", "a:b@c", "In", "x" * 70]),
    st.text(max_size=12),
)
TREES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)
    ),
    max_leaves=40,
)


@st.composite
def objects(draw: st.DrawFn) -> dict[str, Any]:
    body = draw(st.dictionaries(st.sampled_from(KEYS), TREES, max_size=6))
    body["apiVersion"] = "v1"
    body["kind"] = draw(st.sampled_from(KINDS))
    return body


@FUZZ
@given(st.text(max_size=400))
def test_loader_never_raises_on_text(text: str) -> None:
    manifests, errors = loader.load(text, "fuzz.yaml")
    assert all(isinstance(e, InputError) and e.line >= 1 for e in errors)
    assert manifests or errors


@FUZZ
@given(st.binary(max_size=300))
def test_decode_accepts_or_refuses_with_a_line(data: bytes) -> None:
    try:
        source = sources.decode("fuzz.yaml", data, "yaml")
    except InputError as err:
        line = err.line
    else:
        _manifests, errors = loader.load(source.text, source.name)
        line = min((e.line for e in errors), default=1)
    assert line >= 1


@FUZZ
@given(st.text(alphabet=st.sampled_from("abcXYZ019:/@._-[]$ \n"), max_size=60))
def test_image_parser_only_raises_its_own_error(reference: str) -> None:
    try:
        ref = images.parse(reference)
    except images.ImageReferenceError:
        return
    assert images.parse(str(ref)) == ref  # normalizing is idempotent


@FUZZ
@given(st.text(max_size=300))
def test_dockerfile_parser_never_raises(text: str) -> None:
    dockerfile = dockerfiles.parse("FROM " + text, "Dockerfile")
    assert dockerfile.stages


@FUZZ
@given(st.lists(objects(), min_size=1, max_size=4))
def test_rules_survive_arbitrary_object_shapes(bodies: list[dict[str, Any]]) -> None:
    text = yaml.safe_dump_all(bodies)
    result = engine.lint([Source("fuzz.yaml", text, "yaml")], engine.Policy())
    for finding in result.findings:
        assert finding.line >= 1
        assert finding.column >= 1


@FUZZ
@given(st.binary(max_size=200))
def test_cli_runner_exits_0_1_or_2_on_any_stdin(data: bytes) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = run(Request(paths=("-",), output="sarif"), Streams(io.BytesIO(data), out, err))
    assert code in (0, 1, 2)
    assert "Traceback" not in err.getvalue()
