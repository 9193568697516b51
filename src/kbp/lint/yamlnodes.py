"""libyaml's node graph for the loader, fast: a loader that defers tag resolution, YAML 1.1 scalar typing,
merge keys (``<<``) resolved as PyYAML does, and composing a stream with errors that say where."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from kbp.lint.errors import InputError
from kbp.lint.manifests import Position

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
    ``kbp.lint.loader`` then types each distinct plain scalar text once (``plain``). ``descend_resolver``
    and ``ascend_resolver`` only serve path resolvers, which safe loading never registers: they
    become C no-ops.

    These three names are PyYAML's internals (what ``_yaml.CParser`` calls back), not its API:
    pyproject.toml pins PyYAML below 6.1, and tests/unit/lint/test_lint_loader.py checks types,
    positions and merges, so a release that changes the callbacks fails the tests, not users.
    """

    resolve = slice
    descend_resolver = slice  # type: ignore[assignment]
    ascend_resolver = tuple  # type: ignore[assignment]


plain_values: dict[str, Any] = {}  # plain scalar text -> its value; shared by every load, on purpose


def _convert(tag: str, value: str) -> Any:
    convert = _SCALARS.get(tag)
    if convert is None:
        return value
    try:
        return convert(ScalarNode(tag, value))
    except (ValueError, yaml.YAMLError):
        return value


def plain(value: str) -> Any:
    """An untagged plain scalar's value: YAML 1.1 implicit typing, as PyYAML's safe loader does."""
    tag = _RESOLVER.resolve(ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
    result = _convert(tag, value)
    if len(plain_values) < _PLAIN_MEMO_LIMIT:
        plain_values[value] = result
    return result


def scalar(node: ScalarNode) -> Any:
    tag: Any = node.tag  # a slice until resolved (see _Loader)
    if type(tag) is slice:  # untagged: plain scalars are typed, quoted ones are text
        return plain(node.value) if tag.step[0] else node.value
    return node.value if tag == _STR else _convert(tag, node.value)


def is_merge_key(node: Node) -> bool:
    tag: Any = node.tag  # a slice until resolved (see _Loader)
    if type(tag) is slice:
        return node.value == "<<" and bool(tag.step[0])
    return bool(tag == _MERGE)


def mark(node: Node) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def merged_pairs(node: MappingNode, source: str, active: frozenset[int] = frozenset()) -> Pairs:
    """The pairs with `<<` merge keys resolved as SafeConstructor.flatten_mapping does: merged
    pairs first, so explicit keys win, and of a list of merged mappings the first wins."""
    pairs: Pairs = node.value
    if not any(is_merge_key(k) for k, _ in pairs):
        return pairs
    if id(node) in active:  # merges itself, through aliases: its own pairs are there already
        return ()
    active = active | {id(node)}
    merged: list[tuple[Node, Node]] = []
    own: list[tuple[Node, Node]] = []
    for key_node, value_node in node.value:
        if not is_merge_key(key_node):
            own.append((key_node, value_node))
            continue
        listed = type(value_node) is SequenceNode
        parts = value_node.value if listed else [value_node]
        for part in parts:
            if type(part) is not MappingNode:
                wanted = "a mapping" if listed else "a mapping or list of mappings"
                problem = f"expected {wanted} for merging, but found {part.id}"
                raise InputError(source, *mark(part), f"bad merge key: {problem}")
        for part in reversed(parts):
            merged.extend(merged_pairs(part, source, active))
    return merged + own


def repeats(node: MappingNode) -> list[str]:
    """Keys written twice in the mapping itself (a merged key overridden once is not a repeat)."""
    seen: set[str] = set()
    repeats: list[str] = []
    for key_node, _ in node.value:
        if is_merge_key(key_node):
            continue
        if key_node.value in seen:
            repeats.append(key_node.value)
        seen.add(key_node.value)
    return repeats


def yaml_error(source: str, err: yaml.YAMLError) -> InputError:
    where = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or getattr(err, "context", None) or str(err)
    if where is None:
        return InputError(source, 1, 1, f"invalid YAML: {problem}")
    return InputError(source, where.line + 1, where.column + 1, f"invalid YAML: {problem}")


def compose(text: str, source: str) -> Iterator[Node]:
    stream = yaml.compose_all(text, Loader=_Loader)
    while True:
        try:
            node = next(stream)
        except StopIteration:
            return
        except yaml.YAMLError as err:
            raise yaml_error(source, err) from None
        if node is not None and not is_empty(node):
            yield node


def is_empty(node: Node) -> bool:
    """A document holding nothing (`---` twice, comments only): Helm output is full of them."""
    return type(node) is ScalarNode and node.value in ("", "~") and scalar(node) is None
