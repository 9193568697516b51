"""What lint reports: findings with a stable fingerprint, and the result of a whole run."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from kbp.lint.errors import InputError
from kbp.lint.rulebook import Rule, Severity


@dataclass(frozen=True)
class ObjectRef:
    api_version: str
    kind: str
    name: str
    namespace: str | None


@dataclass(frozen=True)
class Location:
    """The other side of a cross-release finding: what the reference was checked against."""

    source: str
    line: int
    column: int
    note: str  # what is there, e.g. "Gateway envoy-gateway-system/public"


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: Severity
    message: str
    source: str
    line: int
    column: int
    field: str
    obj: ObjectRef | None
    related: tuple[Location, ...] = ()  # not in the fingerprint: the other side may move

    @property
    def fingerprint(self) -> str:
        """Identity across edits: no line numbers, so moving code keeps old findings baselined."""
        obj = self.obj
        who = f"{obj.kind}|{obj.namespace or ''}|{obj.name}" if obj else ""
        key = "\0".join((self.rule_id, self.source, who, self.field, self.message))
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.source, self.line, self.column, self.rule_id)


@dataclass(frozen=True)
class Result:
    findings: tuple[Finding, ...]
    errors: tuple[InputError, ...]
    rules: tuple[Rule, ...]
    files: int
    objects: int
    suppressed: int = 0
    baselined: int = 0
    checked: tuple[tuple[str, str], ...] = ()  # (source, "Kind/name") of every object and Dockerfile

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)
