"""The --config file (YAML), validated with pydantic at this boundary and turned into a Policy.

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
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=_kebab, populate_by_name=True, frozen=True)


class RuleConfig(_Model):
    enabled: bool = True
    severity: str | None = None

    @field_validator("severity")
    @classmethod
    def _severity(cls, value: str | None) -> str | None:
        if value is not None:
            Severity.parse(value)
        return value


class ExemptionConfig(_Model):
    reason: str = Field(min_length=1)
    rules: list[str] = []
    paths: list[str] = []
    names: list[str] = []
    kinds: list[str] = []
    namespaces: list[str] = []


class LintConfig(_Model):
    fail_on: str = "warning"
    tag_format: str = DEFAULT_TAG_FORMAT
    base_images: list[str] = list(DEFAULT_BASE_IMAGES)
    required_labels: list[str] = list(DEFAULT_REQUIRED_LABELS)
    min_replicas: int = Field(default=2, ge=1)
    annotation_exemptions: bool = True
    rules: dict[str, RuleConfig] = {}
    exemptions: list[ExemptionConfig] = []

    @field_validator("fail_on")
    @classmethod
    def _fail_on(cls, value: str) -> str:
        Severity.parse(value)
        return value

    @field_validator("tag_format")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as err:
            raise ValueError(f"not a regular expression: {err}") from None
        return value

    @field_validator("rules")
    @classmethod
    def _known(cls, value: dict[str, RuleConfig]) -> dict[str, RuleConfig]:
        unknown = sorted(set(value) - set(BY_ID))
        if unknown:
            raise ValueError(f"unknown rule ids: {', '.join(unknown)}")
        return value


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
        return LintConfig.model_validate(data or {})
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in err.errors())
        raise ConfigError(f"{source}: {problems}") from None


def load(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read config: {err}") from None
    return to_policy(parse(text, str(path)))
