"""Where a field is: the line and column of a path in a YAML document, composed again from the
document's own lines when a finding first asks."""

from __future__ import annotations

import re

from yaml.nodes import MappingNode, Node, SequenceNode

from kbp.lint.errors import InputError
from kbp.lint.manifests import Path, Position
from kbp.lint.yamlnodes import Pairs, compose, is_merge_key, mark, merged_pairs

_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")  # what libyaml counts as a new line


def last_pair(pairs: Pairs, key: str | int) -> tuple[Node, Node] | None:
    for pair in reversed(pairs):
        if pair[0].value == key and not is_merge_key(pair[0]):
            return pair
    return None


def locate_in(root: Node, path: Path, source: str) -> Position:
    """The key of the deepest field on ``path`` that exists (a list item: the item itself)."""
    node = root
    position = mark(node)
    for step in path:
        if type(node) is MappingNode:
            match = last_pair(node.value, step)  # the last one written wins, as in the value
            if match is None and any(is_merge_key(k) for k, _ in node.value):
                match = last_pair(merged_pairs(node, source), step)
            if match is None:
                return position
            position, node = mark(match[0]), match[1]
        elif type(node) is SequenceNode and type(step) is int and 0 <= step < len(node.value):
            node = node.value[step]
            position = mark(node)
        else:
            return position
    return position


class Lines:
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

    def __init__(self, lines: Lines, root: Node, source: str) -> None:
        self._lines = lines
        self._first: int = root.start_mark.line
        self._last: int = root.end_mark.line
        self._start = mark(root)
        self._source = source
        self._root: Node | None = None
        self._tried = False

    def locate(self, path: Path) -> Position:
        root = self._document()
        if root is None:
            return self._start
        line, column = locate_in(root, path, self._source)
        return (line + self._first, column)

    def _document(self) -> Node | None:
        if not self._tried:
            self._tried = True
            try:
                node = next(compose(self._lines.span(self._first, self._last), self._source), None)
            except InputError:
                node = None
            # The document's own lines compose as they did in the stream; if not, its start will do.
            if node is not None and mark(node) == (self._start[0] - self._first, self._start[1]):
                self._root = node
        return self._root
