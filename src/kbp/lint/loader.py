"""YAML streams to located ``Manifest``s.

libyaml (``yaml.CSafeLoader``) scans and composes the node graph; we build plain Python values
from the nodes ourselves and drop the nodes. Positions are not copied out: when a finding needs
a field's line and column, its document is composed again (``DocumentPositions``).
``yamlnodes`` composes and types the nodes; ``positions`` finds a field's line and column.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode

from kbp.lint import documents
from kbp.lint.errors import InputError
from kbp.lint.manifests import Manifest, Path, Release
from kbp.lint.positions import DocumentPositions, Lines, locate_in
from kbp.lint.yamlnodes import compose, is_merge_key, mark, merged_pairs, plain, plain_values, repeats, scalar

MAX_DEPTH = 200  # libyaml allows 1000; Kubernetes objects never nest this deep


@dataclass
class _Doc:
    source: str
    memo: dict[int, Any] = field(default_factory=dict)  # id(container node) -> its value
    repeated: list[MappingNode] = field(default_factory=list)  # mappings that repeat a key


def _value(node: Node, doc: _Doc, depth: int) -> Any:
    # The hot loop of lint: type(...) is checks and local lookups, not isinstance and helpers.
    if type(node) is ScalarNode:
        tag: Any = node.tag  # a slice until resolved (see yamlnodes._Loader)
        if type(tag) is slice and tag.step[0]:
            value = node.value
            known = plain_values.get(value, plain_values)
            return plain(value) if known is plain_values else known
        return scalar(node)
    seen = doc.memo.get(id(node))
    if seen is not None:  # an alias: share the value, never re-expand (billion-laughs safe)
        return seen
    if depth > MAX_DEPTH:
        raise InputError(doc.source, *mark(node), f"nesting deeper than {MAX_DEPTH} levels")
    if type(node) is MappingNode:
        return _mapping(node, doc, depth + 1)
    items: list[Any] = []
    doc.memo[id(node)] = items
    depth += 1
    for child in node.value:
        items.append(_value(child, doc, depth))
    return items


def _mapping(node: MappingNode, doc: _Doc, depth: int) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    doc.memo[id(node)] = out
    pairs = node.value
    for key_node, value_node in pairs:
        if type(key_node) is not ScalarNode:
            raise InputError(doc.source, *mark(key_node), "mapping key is not a scalar")
        key = key_node.value  # keys stay text, as in the JSON the API server sees (`on:` is not True)
        if key == "<<" and is_merge_key(key_node):
            out.clear()
            return _merged(node, out, doc, depth)
        out[key] = _value(value_node, doc, depth)
    if len(out) != len(pairs):
        doc.repeated.append(node)
    return out


def _merged(node: MappingNode, out: dict[Any, Any], doc: _Doc, depth: int) -> dict[Any, Any]:
    for key_node, value_node in merged_pairs(node, doc.source):
        if type(key_node) is not ScalarNode:
            raise InputError(doc.source, *mark(key_node), "mapping key is not a scalar")
        out[key_node.value] = _value(value_node, doc, depth)
    if repeats(node):
        doc.repeated.append(node)
    return out


def _repeated_paths(root: Node, repeated: list[MappingNode], source: str) -> tuple[Path, ...]:
    """Where the repeated keys are, found by walking the graph; only runs when a key repeats."""
    wanted = {id(n) for n in repeated}
    visited: set[int] = set()
    found: list[Path] = []

    def walk(node: Node, path: Path) -> None:
        if type(node) is ScalarNode or id(node) in visited:
            return
        visited.add(id(node))
        if not isinstance(node, MappingNode):
            for index, child in enumerate(node.value):
                walk(child, (*path, index))
            return
        if id(node) in wanted:
            found.extend((*path, key) for key in repeats(node))
        for key_node, value_node in merged_pairs(node, source):
            walk(value_node, (*path, key_node.value))

    walk(root, ())
    return tuple(found)


def _object_error(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "not a Kubernetes object: expected a mapping"
    missing = [k for k in ("apiVersion", "kind") if not body.get(k) or not isinstance(body.get(k), str)]
    if missing:
        return f"not a Kubernetes object: missing {' and '.join(missing)}"
    return None


def _manifests(
    source: str, node: Node, lines: Lines, release: Release | None
) -> Iterator[tuple[bool, Manifest]]:
    """Each object of the document, paired with False; a workflow or helmfile part with True."""
    doc = _Doc(source)
    try:
        body = _value(node, doc, 0)
        dupes = _repeated_paths(node, doc.repeated, source) if doc.repeated else ()
    except RecursionError:
        raise InputError(source, *mark(node), "nesting too deep") from None
    positions = DocumentPositions(lines, node, source)
    error = _object_error(body)
    if error is not None:
        if documents.kind_of(body) is None:
            raise InputError(source, *mark(node), error)
        yield True, Manifest(source, body, positions, (), dupes, release)
        return
    if body["kind"].endswith("List") and isinstance(body.get("items"), list):
        for index, item in enumerate(body["items"]):
            base: Path = ("items", index)
            item_error = _object_error(item)
            if item_error is not None:
                raise InputError(source, *locate_in(node, base, source), item_error)
            yield False, Manifest(source, item, positions, base, dupes, release)
        return
    yield False, Manifest(source, body, positions, (), dupes, release)


def load(text: str, source: str) -> tuple[list[Manifest], list[InputError]]:
    """All objects of a YAML stream (workflows and helmfiles are input errors here)."""
    manifests, parts, errors = load_all(text, source)
    for part in parts:
        errors.append(InputError(source, *part.locate(()), _object_error(part.body) or "not an object"))
    return manifests, errors


def load_all(
    text: str, source: str, release: Release | None = None
) -> tuple[list[Manifest], list[Manifest], list[InputError]]:
    """All objects of a YAML stream, its workflow and helmfile documents, and the errors that
    stopped or skipped documents.

    A syntax error ends the stream (libyaml cannot resume); a document that is valid YAML but
    neither a Kubernetes object nor a workflow or helmfile part is reported and skipped. An input
    with nothing in it is an error.
    """
    manifests: list[Manifest] = []
    parts: list[Manifest] = []
    errors: list[InputError] = []
    lines = Lines(text)
    try:
        for node in compose(text, source):
            try:
                for is_part, m in _manifests(source, node, lines, release):
                    (parts if is_part else manifests).append(m)
            except InputError as err:
                errors.append(err)
    except InputError as err:
        errors.append(err)
    if not manifests and not parts and not errors:
        errors.append(InputError(source, 1, 1, "no Kubernetes objects (empty input)"))
    return manifests, parts, errors
