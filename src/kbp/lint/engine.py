"""Run the rules over a bundle, apply severities and exemptions, and produce a Result. No I/O."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from kbp.lint import dockerfiles, documents, loader, platforms
from kbp.lint.bundle import Bundle, index
from kbp.lint.dockerfiles import Dockerfile
from kbp.lint.errors import InputError
from kbp.lint.exemptions import ConfigExemption, annotated
from kbp.lint.findings import Finding, Location, ObjectRef, Result
from kbp.lint.manifests import Manifest, field_name
from kbp.lint.rulebook import Hit, ManifestCheck, Options, Rule, SetHit, Severity
from kbp.lint.rules import ALL
from kbp.lint.sources import Source


@dataclass(frozen=True)
class Policy:
    """The effective configuration: which rules, at what severity, exempting what."""

    options: Options = field(default_factory=Options)
    severities: Mapping[str, Severity] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()
    exemptions: tuple[ConfigExemption, ...] = ()
    fail_on: Severity = Severity.WARNING
    annotation_exemptions: bool = True


def active_rules(policy: Policy) -> tuple[Rule, ...]:
    return tuple(
        dataclasses.replace(rule, severity=policy.severities.get(rule.id, rule.severity))
        for rule in ALL
        if rule.id not in policy.disabled
    )


def _finding(rule: Rule, hit: Hit, m: Manifest) -> Finding:
    line, column = hit.position or m.locate(hit.path)
    obj = ObjectRef(m.api_version, m.kind, m.name, m.namespace)
    return Finding(
        rule.id, rule.severity, hit.message, m.source, line, column, field_name(m.body, hit.path), obj
    )


def _manifest_findings(
    rules: Sequence[Rule], bundle: Bundle, policy: Policy
) -> Iterator[tuple[Finding, bool]]:
    """Every finding, paired with whether an exemption suppresses it."""
    by_kind: dict[str, list[tuple[Rule, ManifestCheck]]] = {}  # rules per kind, worked out once per kind
    for m in bundle.manifests:
        self_exempt = annotated(m) if policy.annotation_exemptions else frozenset()
        applicable = by_kind.get(m.kind)
        if applicable is None:
            applicable = [
                (r, r.check) for r in rules if r.check is not None and (r.kinds is None or m.kind in r.kinds)
            ]
            by_kind[m.kind] = applicable
        for rule, check in applicable:
            for hit in check(m, bundle, policy.options):
                finding = _finding(rule, hit, m)
                # exemptable=False guards against self-exemption by annotation; config exemptions carry
                # their own reason and apply to every rule
                exempt = (rule.exemptable and rule.id in self_exempt) or any(
                    e.covers(rule.id, m.source, m) for e in policy.exemptions
                )
                yield finding, exempt


def _set_finding(rule: Rule, hit: SetHit) -> Finding:
    related = tuple(Location(p.document.source, *p.document.locate(p.path), p.note) for p in hit.related)
    return dataclasses.replace(_finding(rule, Hit(hit.message, hit.path), hit.subject), related=related)


def _set_findings(
    rules: Sequence[Rule], platform: platforms.Platform, policy: Policy
) -> Iterator[tuple[Finding, bool]]:
    """The cross-release rules, each once over the whole set."""
    for rule in rules:
        if rule.check_set is None:
            continue
        for hit in rule.check_set(platform, policy.options):
            m = hit.subject
            self_exempt = annotated(m) if policy.annotation_exemptions else frozenset()
            exempt = (rule.exemptable and rule.id in self_exempt) or any(
                e.covers(rule.id, m.source, m) for e in policy.exemptions
            )
            yield _set_finding(rule, hit), exempt


def _dockerfile_findings(
    rules: Sequence[Rule], files: Sequence[Dockerfile], policy: Policy
) -> Iterator[tuple[Finding, bool]]:
    for file in files:
        for rule in rules:
            if rule.check_dockerfile is None:
                continue
            for hit in rule.check_dockerfile(file, policy.options):
                line, column = hit.position or (1, 1)
                stage = next((i for i, s in enumerate(file.stages) if s.position == hit.position), 0)
                finding = Finding(
                    rule.id, rule.severity, hit.message, file.source, line, column, f"FROM[{stage}]", None
                )
                yield finding, any(e.covers(rule.id, file.source, None) for e in policy.exemptions)


def evaluate(
    manifests: Sequence[Manifest],
    files: Sequence[Dockerfile],
    policy: Policy,
    parts: Sequence[Manifest] = (),
) -> tuple[list[Finding], int]:
    """Findings (sorted) and how many exemptions suppressed."""
    rules = active_rules(policy)
    options = dataclasses.replace(policy.options, known_rules=frozenset(r.id for r in ALL))
    policy = dataclasses.replace(policy, options=options)
    kept: list[Finding] = []
    suppressed = 0
    bundle = index(manifests)
    produced = [
        *_manifest_findings(rules, bundle, policy),
        *_dockerfile_findings(rules, files, policy),
    ]
    if any(r.check_set is not None for r in rules):
        platform = platforms.build(bundle, parts, options.tag_format)
        produced.extend(_set_findings(rules, platform, policy))
    for finding, exempt in produced:
        if exempt:
            suppressed += 1
        else:
            kept.append(finding)
    kept.sort(key=lambda f: f.sort_key)
    return kept, suppressed


def lint(sources: Sequence[Source], policy: Policy, errors: Sequence[InputError] = ()) -> Result:
    """Parse every source and lint them as one bundle."""
    manifests: list[Manifest] = []
    parts: list[Manifest] = []  # workflows and helmfiles
    files: list[Dockerfile] = []
    all_errors = list(errors)
    for source in sources:
        if source.kind == "dockerfile":
            files.append(dockerfiles.parse(source.text, source.name))
            continue
        found, other, problems = loader.load_all(source.text, source.name, source.release)
        manifests.extend(found)
        parts.extend(other)
        all_errors.extend(problems)
    findings, suppressed = evaluate(manifests, files, policy, parts)
    return Result(
        findings=tuple(findings),
        errors=tuple(all_errors),
        rules=active_rules(policy),
        files=len(sources),
        objects=len(manifests),
        suppressed=suppressed,
        checked=tuple((m.source, f"{m.kind}/{m.name}") for m in manifests)
        + tuple((p.source, documents.kind_of(p.body) or "document") for p in parts)
        + tuple((d.source, "Dockerfile") for d in files),
    )
