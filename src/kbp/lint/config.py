"""The --config file (YAML), validated with msgspec at this boundary and turned into a Policy.

fail-on: warning                 # info | warning | error
tag-format: '^v\\d+\\.\\d+\\.\\d+-[0-9a-f]{7,40}$'
base-images: ["docker.io/library/*", "gcr.io/distroless/*"]
required-labels: [app.kubernetes.io/name]
min-replicas: 2
annotation-exemptions: true      # false: objects cannot exempt themselves
rules:
  image-tag-format: {severity: error}
  namespace-quota: {enabled: false}
exemptions:
  - {rules: [bare-pod], paths: ["tests/*"], reason: "debug pods for e2e tests"}

msgspec rather than pydantic: importing pydantic and building these models took 0.25 s, a third
of a whole lint run over 2,000 objects (bench/lint.py); msgspec takes about 15 ms.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import msgspec
import yaml

from kbp.lint.engine import Policy
from kbp.lint.errors import ConfigError
from kbp.lint.exemptions import ConfigExemption
from kbp.lint.rulebook import (
    DEFAULT_BASE_IMAGES,
    DEFAULT_REQUIRED_LABELS,
    DEFAULT_TAG_FORMAT,
    Options,
    Severity,
)
from kbp.lint.rules import BY_ID


class RuleConfig(msgspec.Struct, rename="kebab", forbid_unknown_fields=True, frozen=True):
    enabled: bool = True
    severity: str | None = None


class ExemptionConfig(msgspec.Struct, rename="kebab", forbid_unknown_fields=True, frozen=True):
    reason: Annotated[str, msgspec.Meta(min_length=1)]
    rules: list[str] = []
    paths: list[str] = []
    names: list[str] = []
    kinds: list[str] = []
    namespaces: list[str] = []


class LintConfig(msgspec.Struct, rename="kebab", forbid_unknown_fields=True, frozen=True):
    fail_on: str = "warning"
    tag_format: str = DEFAULT_TAG_FORMAT
    base_images: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_BASE_IMAGES))
    required_labels: list[str] = msgspec.field(default_factory=lambda: list(DEFAULT_REQUIRED_LABELS))
    min_replicas: Annotated[int, msgspec.Meta(ge=1)] = 2
    annotation_exemptions: bool = True
    rules: dict[str, RuleConfig] = {}
    exemptions: list[ExemptionConfig] = []


def _problems(config: LintConfig) -> list[str]:
    """What msgspec's types cannot say: severities, the regex and rule ids must be known."""
    problems = []
    severities = [("fail-on", config.fail_on)] + [
        (f"rules.{rule}.severity", c.severity) for rule, c in config.rules.items() if c.severity is not None
    ]
    for where, value in severities:
        try:
            Severity.parse(value)
        except ValueError as err:
            problems.append(f"{where}: {err}")
    try:
        re.compile(config.tag_format)
    except re.error as err:
        problems.append(f"tag-format: not a regular expression: {err}")
    unknown = sorted(set(config.rules) - set(BY_ID))
    if unknown:
        problems.append(f"rules: unknown rule ids: {', '.join(unknown)}")
    return problems


def to_policy(config: LintConfig) -> Policy:
    options = Options(
        tag_format=re.compile(config.tag_format),
        base_images=tuple(config.base_images),
        required_labels=tuple(config.required_labels),
        min_replicas=config.min_replicas,
    )
    exemptions = tuple(
        ConfigExemption(
            reason=e.reason,
            rules=frozenset(e.rules),
            paths=tuple(e.paths),
            names=tuple(e.names),
            kinds=tuple(e.kinds),
            namespaces=tuple(e.namespaces),
        )
        for e in config.exemptions
    )
    return Policy(
        options=options,
        severities={k: Severity.parse(v.severity) for k, v in config.rules.items() if v.severity},
        disabled=frozenset(k for k, v in config.rules.items() if not v.enabled),
        exemptions=exemptions,
        fail_on=Severity.parse(config.fail_on),
        annotation_exemptions=config.annotation_exemptions,
    )


def parse(text: str, source: str) -> LintConfig:
    try:
        data = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as err:
        raise ConfigError(f"{source}: invalid YAML: {err}") from None
    try:
        config = msgspec.convert(data or {}, LintConfig)
    except msgspec.ValidationError as err:
        raise ConfigError(f"{source}: {err}") from None
    problems = _problems(config)
    if problems:
        raise ConfigError(f"{source}: {'; '.join(problems)}")
    return config


def load(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read config: {err}") from None
    return to_policy(parse(text, str(path)))
