"""Label selectors in kubectl's grammar, parsed and matched against a cluster's labels (pure).

env=prod,region in (eu,us),!legacy,tier!=canary
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from kbp.fleet import FleetFileError

_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]{0,251}[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?"
_SET = re.compile(rf"^(?P<key>{_KEY})\s+(?P<op>in|notin)\s+\((?P<values>[^()]*)\)$")
_EQUALITY = re.compile(rf"^(?P<key>{_KEY})\s*(?P<op>==|=|!=)\s*(?P<value>{_VALUE})$")
_EXISTS = re.compile(rf"^(?P<neg>!?)\s*(?P<key>{_KEY})$")
EXAMPLES = "examples: env=prod, env in (dev,staging), !canary, tier!=edge"


class Operator(StrEnum):
    equals = "="
    not_equals = "!="
    is_in = "in"
    not_in = "notin"
    exists = "exists"
    does_not_exist = "!"


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: Operator
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        value = labels.get(self.key)
        match self.operator:
            case Operator.equals | Operator.is_in:
                return value in self.values
            case Operator.not_equals | Operator.not_in:
                return value not in self.values  # kubectl: a missing label is "not equal"
            case Operator.exists:
                return value is not None
            case Operator.does_not_exist:
                return value is None


@dataclass(frozen=True)
class Selector:
    """Every requirement must hold; the empty selector matches every cluster."""

    text: str
    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self.requirements)


def is_key(text: str) -> bool:
    return re.fullmatch(_KEY, text) is not None


def is_value(text: str) -> bool:
    return re.fullmatch(_VALUE, text) is not None


def parse(text: str) -> Selector:
    """The selector `text` says, or FleetFileError naming the part that is not one."""
    return Selector(text, tuple(_requirement(part, text) for part in _split(text) if part.strip()))


def _split(text: str) -> list[str]:
    """Commas separate requirements, except inside `in (a,b)`."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _requirement(part: str, whole: str) -> Requirement:
    part = part.strip()
    if m := _SET.match(part):
        values = frozenset(v.strip() for v in m["values"].split(",") if v.strip())
        if not values or not all(is_value(v) for v in values):
            raise _bad(part, whole)
        op = Operator.is_in if m["op"] == "in" else Operator.not_in
        return Requirement(m["key"], op, values)
    if m := _EQUALITY.match(part):
        op = Operator.not_equals if m["op"] == "!=" else Operator.equals
        return Requirement(m["key"], op, frozenset({m["value"]}))
    if m := _EXISTS.match(part):
        return Requirement(m["key"], Operator.does_not_exist if m["neg"] else Operator.exists)
    raise _bad(part, whole)


def _bad(part: str, whole: str) -> FleetFileError:
    return FleetFileError(f'selector "{whole}": "{part}" is not a label requirement ({EXAMPLES})')
