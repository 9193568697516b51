"""The journal's settings as the chart's values.schema.json describes them (`config.settings`), and
`KEY=VALUE` checked against it before anything is written.

kbp never imports `journal`; the chart's schema mirrors `journal.settings.Settings` (a test holds the
two together). The schema uses a small subset of JSON Schema; any keyword outside it raises, so the
schema cannot quietly say more than this module checks.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Value = int | float | str
_KNOWN = frozenset(
    {"type", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "description", "title"}
)
_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


class SettingError(ValueError):
    """A key or value the journal would refuse; the message names it and what is expected."""


@dataclass(frozen=True)
class SettingsSchema:
    properties: Mapping[str, Mapping[str, Any]]

    @classmethod
    def from_values_schema(
        cls, schema: Mapping[str, Any], source: str = "values.schema.json"
    ) -> SettingsSchema:
        try:
            settings = schema["properties"]["config"]["properties"]["settings"]
            properties = settings["properties"]
        except (KeyError, TypeError) as err:
            raise SettingError(f"{source}: no properties.config.properties.settings.properties") from err
        for key, spec in properties.items():
            unknown = set(spec) - _KNOWN
            if unknown:
                raise SettingError(
                    f"{source}: config.settings.{key} uses {sorted(unknown)}, which kbp does not check"
                )
        return cls(properties)

    @classmethod
    def load(cls, chart: Path) -> SettingsSchema:
        path = chart / "values.schema.json"
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise SettingError(f"{path}: {err}") from err
        return cls.from_values_schema(doc, str(path))

    def names(self) -> list[str]:
        return sorted(self.properties)

    def coerce(self, key: str, raw: str) -> Value:
        """The typed value of `raw` for `key`, or SettingError naming both."""
        spec = self.properties.get(key)
        if spec is None:
            raise SettingError(f"unknown setting {key!r} (known: {', '.join(self.names())})")
        value = _typed(key, raw, spec)
        _check_bounds(key, value, spec)
        return value


def _typed(key: str, raw: str, spec: Mapping[str, Any]) -> Value:
    if "enum" in spec:
        choices = [str(c) for c in spec["enum"]]
        if raw not in choices:
            raise SettingError(f"{key}: {raw!r} is not one of {', '.join(choices)}")
        return raw
    kind = spec.get("type", "string")
    if kind == "integer":
        if not _INTEGER.match(raw):
            raise SettingError(f"{key}: {raw!r} is not an integer (example: {key}=10)")
        return int(raw)
    if kind == "number":
        if not _NUMBER.match(raw) or not math.isfinite(float(raw)):
            raise SettingError(f"{key}: {raw!r} is not a number (example: {key}=2.5)")
        number = float(raw)
        return int(number) if number.is_integer() else number
    if kind == "string":
        return raw
    raise SettingError(f"{key}: schema type {kind!r} is not supported by kbp")


def _check_bounds(key: str, value: Value, spec: Mapping[str, Any]) -> None:
    if isinstance(value, str):
        return
    checks = (
        ("minimum", operator.ge, "at least"),
        ("maximum", operator.le, "at most"),
        ("exclusiveMinimum", operator.gt, "more than"),
        ("exclusiveMaximum", operator.lt, "less than"),
    )
    for keyword, ok, words in checks:
        if keyword in spec and not ok(value, spec[keyword]):
            raise SettingError(f"{key}: {value} is out of range (must be {words} {spec[keyword]})")


def parse_assignments(pairs: Iterable[str], schema: SettingsSchema) -> dict[str, Value]:
    """`["entries=20", "log_level=debug"]` -> typed values; SettingError on the first bad one."""
    result: dict[str, Value] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise SettingError(f"{pair!r} is not KEY=VALUE (example: entries=20)")
        result[key.strip().lower()] = schema.coerce(key.strip().lower(), raw.strip())
    if not result:
        raise SettingError("no settings given (example: kbp config set entries=20)")
    return result


def typed_settings(data: Mapping[str, str], schema: SettingsSchema) -> dict[str, Value]:
    """A live ConfigMap's strings as typed values (for helm); keys the schema lacks are an error."""
    return {key: schema.coerce(key, value) for key, value in data.items()}
