"""A tiny evaluator for the subset of GitHub Actions expressions our workflow conditions use.

Literals ('str' with '' escapes, true, false, null, integers), context paths (`github.ref`), `!`, `==`,
`!=`, `&&`, `||`, parentheses and the status functions. It follows GitHub's rules where they bite:
string comparison ignores case, `&&`/`||` return an operand, and falsy is false, 0, '' and null.
Anything outside the subset raises, so a condition cannot silently outgrow the evaluator.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+)|(?P<op>==|!=|&&|\|\||[!()])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_][A-Za-z0-9_-]*)*(?:\(\))?))"
)
_STATUS = {"success()": True, "always()": True, "failure()": False, "cancelled()": False}


class UnsupportedExpression(ValueError):
    """The expression uses syntax outside the subset."""


def tokens(expression: str) -> list[str]:
    text = expression.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    out: list[str] = []
    pos = 0
    while pos < len(text.rstrip()):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise UnsupportedExpression(f"cannot read {text[pos:]!r}")
        out.append(match.group().strip())
        pos = match.end()
    return out


def truthy(value: Any) -> bool:
    return value not in (False, 0, "", None)


def _equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()  # GitHub ignores case when comparing strings
    return bool(left == right)


class _Parser:
    def __init__(self, toks: list[str], context: Mapping[str, Any]) -> None:
        self.toks, self.pos, self.context = toks, 0, context

    def peek(self) -> str | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> str:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def parse(self) -> Any:
        value = self.or_()
        if self.peek() is not None:
            raise UnsupportedExpression(f"unexpected {self.peek()!r}")
        return value

    def or_(self) -> Any:
        value = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            value = value if truthy(value) else right
        return value

    def and_(self) -> Any:
        value = self.compare()
        while self.peek() == "&&":
            self.take()
            right = self.compare()
            value = right if truthy(value) else value
        return value

    def compare(self) -> Any:
        value = self.unary()
        while self.peek() in ("==", "!="):
            op = self.take()
            right = self.unary()
            value = _equal(value, right) if op == "==" else not _equal(value, right)
        return value

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not truthy(self.unary())
        return self.atom()

    def atom(self) -> Any:
        tok = self.take()
        if tok == "(":
            value = self.or_()
            if self.take() != ")":
                raise UnsupportedExpression("unbalanced parentheses")
            return value
        if tok.startswith("'"):
            return tok[1:-1].replace("''", "'")
        if tok.isdigit():
            return int(tok)
        if tok in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[tok]
        if tok in _STATUS:
            return _STATUS[tok]
        if tok.endswith("()"):
            raise UnsupportedExpression(f"function {tok} is outside the subset")
        found: Any = self.context
        for part in tok.split("."):
            found = found.get(part) if isinstance(found, Mapping) else None
        return found


def evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    """The value of `expression` given contexts such as {"github": {"ref": ...}}."""
    return _Parser(tokens(expression), context).parse()
