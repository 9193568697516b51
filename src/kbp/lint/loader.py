"""YAML streams to located ``Manifest``s.

libyaml (``yaml.CSafeLoader``) scans and composes the node graph; we build plain Python values
from the nodes ourselves so each field keeps the line and column of its key, in one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode

from kbp.lint.errors import InputError
from kbp.lint.manifests import Manifest, Path, Position

MAX_DEPTH = 200  # libyaml allows 1000; Kubernetes objects never nest this deep
_CTOR = SafeConstructor()
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
# Only core scalar types are converted; timestamps and custom tags stay strings (JSON-safe).
_SCALARS: dict[str, Callable[[ScalarNode], Any]] = {
    "tag:yaml.org,2002:null": lambda _node: None,
    "tag:yaml.org,2002:bool": _CTOR.construct_yaml_bool,
    "tag:yaml.org,2002:int": _CTOR.construct_yaml_int,
    "tag:yaml.org,2002:float": _CTOR.construct_yaml_float,
}


class _Loader(yaml.CSafeLoader):
    """libyaml with a memo on tag resolution.

    libyaml calls back into Python's resolver for every scalar (~40 % of compose time on the
    bench corpus). Safe loading registers no path resolvers, so the tag depends only on
    (kind, value, implicit), and manifests repeat the same keys and values across objects.
    """

    _resolved: dict[tuple[Any, Any, Any], str] = {}  # shared by every load, on purpose

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        key = (kind, value, implicit)
        tag = self._resolved.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
            if len(self._resolved) < 100_000:  # bound memory on huge, varied inputs
                self._resolved[key] = tag
        return tag


@dataclass
class _Doc:
    positions: dict[Path, Position] = field(default_factory=dict)
    duplicates: list[Path] = field(default_factory=list)
    memo: dict[int, Any] = field(default_factory=dict)


def _scalar(node: ScalarNode) -> Any:
    if node.tag == _STR:
        return node.value
    convert = _SCALARS.get(node.tag)
    if convert is None:
        return node.value
    try:
        return convert(node)
    except (ValueError, yaml.YAMLError):
        return node.value


def _mark(node: Node) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _build(node: Node, path: Path, doc: _Doc, source: str) -> Any:
    # The hot loop of lint: type(...) is checks and local lookups, not isinstance and helpers.
    if type(node) is ScalarNode:
        return node.value if node.tag == _STR else _scalar(node)
    seen = doc.memo.get(id(node))
    if seen is not None:  # an alias: share the value, never re-expand (billion-laughs safe)
        return seen
    if len(path) > MAX_DEPTH:
        raise InputError(source, *_mark(node), f"nesting deeper than {MAX_DEPTH} levels")
    if type(node) is MappingNode:
        return _build_mapping(node, path, doc, source)
    items: list[Any] = []
    doc.memo[id(node)] = items
    positions = doc.positions
    for index, child in enumerate(node.value):
        child_path = (*path, index)
        mark = child.start_mark
        positions[child_path] = (mark.line + 1, mark.column + 1)
        items.append(_build(child, child_path, doc, source))
    return items


def _flatten(node: MappingNode, source: str) -> int:
    """Resolve `<<` merge keys in place (merged pairs go first); return how many pairs were merged."""
    own = sum(1 for k, _ in node.value if k.tag != _MERGE)
    try:
        _CTOR.flatten_mapping(node)
    except yaml.YAMLError as err:
        raise InputError(source, *_mark(node), f"bad merge key: {getattr(err, 'problem', err)}") from None
    return len(node.value) - own


def _build_mapping(node: MappingNode, path: Path, doc: _Doc, source: str) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    doc.memo[id(node)] = out
    pairs = node.value
    merged = _flatten(node, source) if any(k.tag == _MERGE for k, _ in pairs) else 0
    explicit: set[Any] | None = set() if merged else None
    positions = doc.positions
    for number, (key_node, value_node) in enumerate(node.value):
        if type(key_node) is not ScalarNode:
            raise InputError(source, *_mark(key_node), "mapping key is not a scalar")
        key = key_node.value  # keys stay text, as in the JSON the API server sees (`on:` is not True)
        child: Path = (*path, key)
        if explicit is None:
            if key in out:
                doc.duplicates.append(child)
        elif number >= merged:  # explicit keys may override merged ones, not each other
            if key in explicit:
                doc.duplicates.append(child)
            explicit.add(key)
        mark = key_node.start_mark
        positions[child] = (mark.line + 1, mark.column + 1)
        out[key] = _build(value_node, child, doc, source)
    return out


def _yaml_error(source: str, err: yaml.YAMLError) -> InputError:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or getattr(err, "context", None) or str(err)
    if mark is None:
        return InputError(source, 1, 1, f"invalid YAML: {problem}")
    return InputError(source, mark.line + 1, mark.column + 1, f"invalid YAML: {problem}")


def _nodes(text: str, source: str) -> Iterator[Node]:
    stream = yaml.compose_all(text, Loader=_Loader)
    while True:
        try:
            node = next(stream)
        except StopIteration:
            return
        except yaml.YAMLError as err:
            raise _yaml_error(source, err) from None
        if node is not None and not _is_empty(node):
            yield node


def _is_empty(node: Node) -> bool:
    """A document holding nothing (`---` twice, comments only): Helm output is full of them."""
    return isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:null" and node.value in ("", "~")


def _object_error(source: str, pos: Position, body: Any) -> InputError | None:
    if not isinstance(body, dict):
        return InputError(source, *pos, "not a Kubernetes object: expected a mapping")
    missing = [k for k in ("apiVersion", "kind") if not body.get(k) or not isinstance(body.get(k), str)]
    if missing:
        return InputError(source, *pos, f"not a Kubernetes object: missing {' and '.join(missing)}")
    return None


def _manifests(source: str, node: Node) -> Iterator[Manifest]:
    doc = _Doc()
    try:
        body = _build(node, (), doc, source)
    except RecursionError:
        raise InputError(source, *_mark(node), "nesting too deep") from None
    start = _mark(node)
    doc.positions[()] = start
    error = _object_error(source, start, body)
    if error is not None:
        raise error
    dupes = tuple(doc.duplicates)
    if body["kind"].endswith("List") and isinstance(body.get("items"), list):
        for index, item in enumerate(body["items"]):
            pos = doc.positions.get(("items", index), start)
            item_error = _object_error(source, pos, item)
            if item_error is not None:
                raise item_error
            yield Manifest(source, item, doc.positions, ("items", index), dupes)
        return
    yield Manifest(source, body, doc.positions, (), dupes)


def load(text: str, source: str) -> tuple[list[Manifest], list[InputError]]:
    """All objects of a YAML stream, and the errors that stopped or skipped documents.

    A syntax error ends the stream (libyaml cannot resume); a document that is valid YAML but
    not a Kubernetes object is reported and skipped. An input with no object at all is an error.
    """
    manifests: list[Manifest] = []
    errors: list[InputError] = []
    try:
        for node in _nodes(text, source):
            try:
                manifests.extend(_manifests(source, node))
            except InputError as err:
                errors.append(err)
    except InputError as err:
        errors.append(err)
    if not manifests and not errors:
        errors.append(InputError(source, 1, 1, "no Kubernetes objects (empty input)"))
    return manifests, errors
