"""The located loader and input decoding: positions, Lists, and bad input as clear errors."""

from __future__ import annotations

import pytest

from kbp.lint import loader, sources
from kbp.lint.errors import InputError

DEPLOYMENT = """\
# leading comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27.3
"""


def test_positions_point_at_keys_and_fall_back_to_parents() -> None:
    [m], errors = loader.load(DEPLOYMENT, "d.yaml")
    assert errors == []
    assert m.locate(("spec", "template", "spec", "containers", 0, "image")) == (11, 11)
    assert m.locate(("spec", "template", "spec", "containers", 0)) == (10, 11)
    assert m.locate(("spec", "template", "spec", "containers", 0, "resources", "limits")) == (10, 11)
    assert m.locate(()) == (2, 1)


def test_list_items_become_objects_with_their_own_positions() -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n"
    [m], _ = loader.load(text, "l.yaml")
    assert (m.kind, m.name) == ("Service", "a")
    assert m.locate(("metadata", "name")) == (6, 14)


def test_multi_document_streams_skip_empty_documents() -> None:
    text = "---\n---\n# only a comment\n---\n" + DEPLOYMENT + "---\n"
    manifests, errors = loader.load(text, "m.yaml")
    assert [m.name for m in manifests] == ["web"]
    assert errors == []


def test_timestamps_and_custom_tags_stay_strings() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  creationTimestamp: 2020-01-01T00:00:00Z\n"
    )
    text += "data:\n  ref: !Ref Thing\n  n: 0x10\n  on: yes\n"
    [m], _ = loader.load(text, "c.yaml")
    assert m.metadata["creationTimestamp"] == "2020-01-01T00:00:00Z"
    assert m.body["data"] == {"ref": "Thing", "n": 16, "on": True}  # YAML 1.1 value, text key


def test_aliases_are_shared_not_expanded() -> None:
    laughs = "a: &l0 [x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 30):
        laughs += f"l{level}: &l{level} [*l{level - 1}, *l{level - 1}]\n"
    laughs += "apiVersion: v1\nkind: ConfigMap\n"
    [m], errors = loader.load(laughs, "laughs.yaml")
    assert errors == []
    assert m.kind == "ConfigMap"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        pytest.param("", 1, "empty input", id="empty"),
        pytest.param("# nothing\n", 1, "empty input", id="comment-only"),
        pytest.param("apiVersion: v1\nkind: [\n", 3, "invalid YAML", id="unclosed-flow"),
        pytest.param("a: b\n c: d\n", 2, "invalid YAML", id="bad-indent"),
        pytest.param(
            "apiVersion: v1\nkind: Pod\n---\nfoo: bar\n", 4, "missing apiVersion and kind", id="not-k8s"
        ),
        pytest.param("- a\n- b\n", 1, "expected a mapping", id="sequence"),
        pytest.param("just a string\n", 1, "expected a mapping", id="scalar"),
        pytest.param("apiVersion: v1\nkind: 3\n", 1, "missing kind", id="kind-not-string"),
        pytest.param("x: *nope\n", 1, "invalid YAML", id="undefined-alias"),
        pytest.param("[" * 300 + "]" * 300, 1, "nesting", id="deep-flow"),
        pytest.param("{? [a]: b}\n", 1, "not a scalar", id="complex-key"),
    ],
)
def test_bad_yaml_is_an_error_with_a_line(text: str, line: int, fragment: str) -> None:
    _manifests, errors = loader.load(text, "bad.yaml")
    assert errors, "expected an input error"
    assert errors[0].line == line
    assert fragment in errors[0].message
    assert str(errors[0]).startswith(f"bad.yaml:{line}:")


@pytest.mark.parametrize(
    ("data", "line", "fragment"),
    [
        pytest.param(b"apiVersion: v1\n\x00\x01binary", 2, "binary", id="nul"),
        pytest.param(b"apiVersion: v1\nkind: \xff\xfe\n", 2, "not UTF-8", id="latin1"),
    ],
)
def test_undecodable_input_is_an_error_with_a_line(data: bytes, line: int, fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        sources.decode("f.yaml", data, "yaml")
    assert caught.value.line == line
    assert fragment in caught.value.message


def test_huge_input_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "MAX_BYTES", 10)
    with pytest.raises(InputError, match="limit"):
        sources.decode("big.yaml", b"apiVersion: v1\n", "yaml")


def test_utf8_bom_is_accepted() -> None:
    source = sources.decode("bom.yaml", b"\xef\xbb\xbfapiVersion: v1\nkind: Pod\n", "yaml")
    [m], _ = loader.load(source.text, source.name)
    assert m.kind == "Pod"


MERGES = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: m}
defaults: &defaults {mode: safe, level: 1}
extra: &extra {level: 2, colour: red}
data:
  <<: [*defaults, *extra]
  mode: fast
"""


def test_merge_keys_follow_yaml_merge_semantics_and_keep_positions() -> None:
    [m], errors = loader.load(MERGES, "m.yaml")
    assert errors == []
    # explicit keys win over merged ones; of a merged list, the first mapping wins
    assert m.body["data"] == {"mode": "fast", "level": 1, "colour": "red"}
    assert m.duplicates == ()  # overriding a merged key is not a repeat
    assert m.locate(("data", "mode")) == (8, 3)
    assert m.locate(("data", "colour")) == (5, 26)  # a merged field points at its anchor's key


def test_repeated_keys_are_reported_where_they_repeat() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: r}\ndata:\n  a: '1'\n  b: {c: 1, c: 2}\n  a: '3'\n"
    )
    [m], _ = loader.load(text, "r.yaml")
    assert sorted(m.duplicates) == [("data", "a"), ("data", "b", "c")]
    assert m.body["data"] == {"a": "3", "b": {"c": 2}}  # the last value wins, as on the API server
    assert m.locate(("data", "a")) == (7, 3)


def test_plain_and_quoted_scalars_are_typed_like_the_safe_loader() -> None:
    text = "apiVersion: v1\nkind: X\n"
    text += "v: [1, '1', yes, 'yes', ~, '', 1.5, !!str 2, !!int '3', .inf, 017, 2020-01-01]\n"
    [m], _ = loader.load(text, "s.yaml")
    assert m.body["v"] == [1, "1", True, "yes", None, "", 1.5, "2", 3, float("inf"), 15, "2020-01-01"]


def test_a_mapping_that_merges_itself_is_not_an_endless_loop() -> None:
    [m], errors = loader.load("&a {apiVersion: v1, kind: X, <<: *a}\n", "self.yaml")
    assert errors == []
    assert m.body == {"apiVersion": "v1", "kind": "X"}


def test_positions_in_later_documents_count_lines_as_libyaml_does() -> None:
    # CRLF endings and a line separator inside a quoted scalar: both are new lines to libyaml.
    first = 'apiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: a}\r\ndata: {note: "x\u2028y"}\r\n'
    second = "apiVersion: v1\r\nkind: Service\r\nmetadata:\r\n  name: b\r\n"
    manifests, errors = loader.load(first + "---\r\n" + second, "crlf.yaml")
    assert errors == []
    assert [m.name for m in manifests] == ["a", "b"]
    assert manifests[0].locate(("data", "note")) == (4, 8)
    assert manifests[1].locate(("metadata", "name")) == (10, 3)  # line 5 began inside the quotes
    assert manifests[1].locate(()) == (7, 1)


def test_a_bad_list_item_is_reported_at_the_item() -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n- just text\n"
    _manifests, errors = loader.load(text, "l.yaml")
    assert [(e.line, e.column) for e in errors] == [(6, 3)]
    assert "expected a mapping" in errors[0].message


@pytest.mark.parametrize(
    ("name", "dockerfile"),
    [
        pytest.param("Dockerfile", True, id="plain"),
        pytest.param("images/api/Dockerfile.prod", True, id="suffixed"),
        pytest.param("api.Dockerfile", True, id="prefixed"),
        pytest.param("Containerfile", True, id="podman"),
        pytest.param("Dockerfile.dockerignore", False, id="buildkit-ignore-file"),
        pytest.param("api.Containerfile.containerignore", False, id="podman-ignore-file"),
        pytest.param("dockerfile-notes.md", False, id="unrelated"),
    ],
)
def test_which_files_are_dockerfiles(name: str, dockerfile: bool) -> None:
    assert sources.is_dockerfile(name) is dockerfile
