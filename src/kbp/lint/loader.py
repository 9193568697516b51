"""YAML streams to located ``Manifest``s.

libyaml (``yaml.CSafeLoader``) scans and composes the node graph; we build plain Python values
from the nodes ourselves and drop the nodes. Positions are not copied out: when a finding needs
a field's line and column, its document is composed again (``DocumentPositions``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from kbp.lint import documents
from kbp.lint.errors import InputError
from kbp.lint.manifests import Manifest, Path, Position, Release

MAX_DEPTH = 200  # libyaml allows 1000; Kubernetes objects never nest this deep
_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")  # what libyaml counts as a new line
_CTOR = SafeConstructor()
_RESOLVER = Resolver()
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
# Only core scalar types are converted; timestamps and custom tags stay strings (JSON-safe).
_SCALARS: dict[str, Callable[[ScalarNode], Any]] = {
    "tag:yaml.org,2002:null": lambda _node: None,
    "tag:yaml.org,2002:bool": _CTOR.construct_yaml_bool,
    "tag:yaml.org,2002:int": _CTOR.construct_yaml_int,
    "tag:yaml.org,2002:float": _CTOR.construct_yaml_float,
}
_PLAIN_MEMO_LIMIT = 100_000  # bounds memory on huge, varied inputs
Pairs = Sequence[tuple[Node, Node]]


class _Loader(yaml.CSafeLoader):
    """libyaml with tag resolution deferred to the build.

    libyaml calls back into Python three times per node: about a third of compose time on the
    bench corpus, under cProfile. For ``self.resolve(kind, value, implicit)``, ``slice`` is a C
    callable that keeps the three arguments as the node's tag without running a Python frame, and
    ``_value`` then types each distinct plain scalar text once (``_plain``). ``descend_resolver``
    and ``ascend_resolver`` only serve path resolvers, which safe loading never registers: they
    become C no-ops.

    These three names are PyYAML's internals (what ``_yaml.CParser`` calls back), not its API:
    pyproject.toml pins PyYAML below 6.1, and tests/unit/lint/test_lint_loader.py checks types,
    positions and merges, so a release that changes the callbacks fails the tests, not users.
    """

    resolve = slice
    descend_resolver = slice  # type: ignore[assignment]
    ascend_resolver = tuple  # type: ignore[assignment]


_plain_values: dict[str, Any] = {}  # plain scalar text -> its value; shared by every load, on purpose


def _convert(tag: str, value: str) -> Any:
    convert = _SCALARS.get(tag)
    if convert is None:
        return value
    try:
        return convert(ScalarNode(tag, value))
    except (ValueError, yaml.YAMLError):
        return value


def _plain(value: str) -> Any:
    """An untagged plain scalar's value: YAML 1.1 implicit typing, as PyYAML's safe loader does."""
    tag = _RESOLVER.resolve(ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    result = _convert(tag, value)
    if len(_plain_values) < _PLAIN_MEMO_LIMIT:
        _plain_values[value] = result
    return result


def _scalar(node: ScalarNode) -> Any:
    tag: Any = node.tag  # a slice until resolved (see _Loader)
    if type(tag) is slice:  # untagged: plain scalars are typed, quoted ones are text
        return _plain(node.value) if tag.step[0] else node.value
    return node.value if tag == _STR else _convert(tag, node.value)


def _is_merge_key(node: Node) -> bool:
    tag: Any = node.tag  # a slice until resolved (see _Loader)
    if type(tag) is slice:
        return node.value == "<<" and bool(tag.step[0])
    return bool(tag == _MERGE)


def _mark(node: Node) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


@dataclass
class _Doc:
    source: str
    memo: dict[int, Any] = field(default_factory=dict)  # id(container node) -> its value
    repeated: list[MappingNode] = field(default_factory=list)  # mappings that repeat a key


def _value(node: Node, doc: _Doc, depth: int) -> Any:
    # The hot loop of lint: type(...) is checks and local lookups, not isinstance and helpers.
    if type(node) is ScalarNode:
        tag: Any = node.tag  # a slice until resolved (see _Loader)
        if type(tag) is slice and tag.step[0]:
            value = node.value
            known = _plain_values.get(value, _plain_values)
            return _plain(value) if known is _plain_values else known
        return _scalar(node)
    seen = doc.memo.get(id(node))
    if seen is not None:  # an alias: share the value, never re-expand (billion-laughs safe)
        return seen
    if depth > MAX_DEPTH:
        raise InputError(doc.source, *_mark(node), f"nesting deeper than {MAX_DEPTH} levels")
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
            raise InputError(doc.source, *_mark(key_node), "mapping key is not a scalar")
        key = key_node.value  # keys stay text, as in the JSON the API server sees (`on:` is not True)
        if key == "<<" and _is_merge_key(key_node):
            out.clear()
            return _merged(node, out, doc, depth)
        out[key] = _value(value_node, doc, depth)
    if len(out) != len(pairs):
        doc.repeated.append(node)
    return out


def _merged(node: MappingNode, out: dict[Any, Any], doc: _Doc, depth: int) -> dict[Any, Any]:
    for key_node, value_node in _pairs(node, doc.source):
        if type(key_node) is not ScalarNode:
            raise InputError(doc.source, *_mark(key_node), "mapping key is not a scalar")
        out[key_node.value] = _value(value_node, doc, depth)
    if _repeats(node):
        doc.repeated.append(node)
    return out


def _pairs(node: MappingNode, source: str, active: frozenset[int] = frozenset()) -> Pairs:
    """The pairs with `<<` merge keys resolved as SafeConstructor.flatten_mapping does: merged
    pairs first, so explicit keys win, and of a list of merged mappings the first wins."""
    pairs: Pairs = node.value
    if not any(_is_merge_key(k) for k, _ in pairs):
        return pairs
    if id(node) in active:  # merges itself, through aliases: its own pairs are there already
        return ()
    active = active | {id(node)}
    merged: list[tuple[Node, Node]] = []
    own: list[tuple[Node, Node]] = []
    for key_node, value_node in node.value:
        if not _is_merge_key(key_node):
            own.append((key_node, value_node))
            continue
        listed = type(value_node) is SequenceNode
        parts = value_node.value if listed else [value_node]
        for part in parts:
            if type(part) is not MappingNode:
                wanted = "a mapping" if listed else "a mapping or list of mappings"
                problem = f"expected {wanted} for merging, but found {part.id}"
                raise InputError(source, *_mark(part), f"bad merge key: {problem}")
        for part in reversed(parts):
            merged.extend(_pairs(part, source, active))
    return merged + own


def _repeats(node: MappingNode) -> list[str]:
    """Keys written twice in the mapping itself (a merged key overridden once is not a repeat)."""
    seen: set[str] = set()
    repeats: list[str] = []
    for key_node, _ in node.value:
        if _is_merge_key(key_node):
            continue
        if key_node.value in seen:
            repeats.append(key_node.value)
        seen.add(key_node.value)
    return repeats


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
            found.extend((*path, key) for key in _repeats(node))
        for key_node, value_node in _pairs(node, source):
            walk(value_node, (*path, key_node.value))

    walk(root, ())
    return tuple(found)


def _last_pair(pairs: Pairs, key: str | int) -> tuple[Node, Node] | None:
    for pair in reversed(pairs):
        if pair[0].value == key and not _is_merge_key(pair[0]):
            return pair
    return None


def _locate(root: Node, path: Path, source: str) -> Position:
    """The key of the deepest field on ``path`` that exists (a list item: the item itself)."""
    node = root
    position = _mark(node)
    for step in path:
        if type(node) is MappingNode:
            match = _last_pair(node.value, step)  # the last one written wins, as in the value
            if match is None and any(_is_merge_key(k) for k, _ in node.value):
                match = _last_pair(_pairs(node, source), step)
            if match is None:
                return position
            position, node = _mark(match[0]), match[1]
        elif type(node) is SequenceNode and type(step) is int and 0 <= step < len(node.value):
            node = node.value[step]
            position = _mark(node)
        else:
            return position
    return position


class _Lines:
    """A text split where libyaml counts new lines, worked out on the first lookup."""

    __slots__ = ("_starts", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] | None = None

    def span(self, first: int, last: int) -> str:
        """Lines ``first`` to ``last`` (0-based, inclusive)."""
        if self._starts is None:
            self._starts = [0, *(m.end() for m in _LINE_BREAK.finditer(self._text))]
        starts = self._starts
        return self._text[starts[first] : starts[last + 1] if last + 1 < len(starts) else len(self._text)]


class DocumentPositions:
    """Positions of an object's fields, from its YAML document composed again on the first lookup.

    Only documents with a finding are looked up (305 of 2,011 on the bench corpus), so this costs
    no measurable time, where keeping every node graph took 70 MB instead of 46 MB of peak RSS.
    """

    __slots__ = ("_first", "_last", "_lines", "_root", "_source", "_start", "_tried")

    def __init__(self, lines: _Lines, root: Node, source: str) -> None:
        self._lines = lines
        self._first: int = root.start_mark.line
        self._last: int = root.end_mark.line
        self._start = _mark(root)
        self._source = source
        self._root: Node | None = None
        self._tried = False

    def locate(self, path: Path) -> Position:
        root = self._document()
        if root is None:
            return self._start
        line, column = _locate(root, path, self._source)
        return (line + self._first, column)

    def _document(self) -> Node | None:
        if not self._tried:
            self._tried = True
            try:
                node = next(_nodes(self._lines.span(self._first, self._last), self._source), None)
            except InputError:
                node = None
            # The document's own lines compose as they did in the stream; if not, its start will do.
            if node is not None and _mark(node) == (self._start[0] - self._first, self._start[1]):
                self._root = node
        return self._root


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
    return type(node) is ScalarNode and node.value in ("", "~") and _scalar(node) is None


def _object_error(body: Any) -> str | None:
    if not isinstance(body, dict):
        return "not a Kubernetes object: expected a mapping"
    missing = [k for k in ("apiVersion", "kind") if not body.get(k) or not isinstance(body.get(k), str)]
    if missing:
        return f"not a Kubernetes object: missing {' and '.join(missing)}"
    return None


def _manifests(
    source: str, node: Node, lines: _Lines, release: Release | None
) -> Iterator[tuple[bool, Manifest]]:
    """Each object of the document, paired with False; a workflow or helmfile part with True."""
    doc = _Doc(source)
    try:
        body = _value(node, doc, 0)
        dupes = _repeated_paths(node, doc.repeated, source) if doc.repeated else ()
    except RecursionError:
        raise InputError(source, *_mark(node), "nesting too deep") from None
    positions = DocumentPositions(lines, node, source)
    error = _object_error(body)
    if error is not None:
        if documents.kind_of(body) is None:
            raise InputError(source, *_mark(node), error)
        yield True, Manifest(source, body, positions, (), dupes, release)
        return
    if body["kind"].endswith("List") and isinstance(body.get("items"), list):
        for index, item in enumerate(body["items"]):
            base: Path = ("items", index)
            item_error = _object_error(item)
            if item_error is not None:
                raise InputError(source, *_locate(node, base, source), item_error)
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
    lines = _Lines(text)
    try:
        for node in _nodes(text, source):
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
