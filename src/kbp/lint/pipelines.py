"""What a CI workflow pushes: image references as patterns, read from a GitHub Actions workflow.

Tags are built from expressions and shell (`${{ steps.tag.outputs.tag }}` set by
`echo "tag=$(kbp image tag)" >> "$GITHUB_OUTPUT"`), so each pushed reference becomes a pattern:
literal text stays literal, and what the workflow computes becomes the shape it can take
(`${GITHUB_REPOSITORY,,}` is a lower-case owner/name, `kbp image tag` the configured tag
format); what cannot be followed matches anything, so an unknown never produces a finding.
Pure: a workflow document in, pushes out.
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from kbp.lint.manifests import Manifest, Path, as_list, as_map

BUILD_PUSH = "docker/build-push-action"
_EXPRESSION = re.compile(r"\$\{\{\s*(?P<expr>.*?)\s*\}\}")
_SHELL = re.compile(
    r"\$\((?P<cmd>[^()]*)\)|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>,,|\^\^)?\}|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)
_OUTPUT_LINE = re.compile(
    r"""echo\s+["']?(?P<name>[A-Za-z_][\w-]*)=(?P<value>.*?)["']?\s*>>\s*["']?\$\{?GITHUB_OUTPUT\}?["']?\s*$"""
)
_SEGMENT = r"[A-Za-z0-9._-]+"
_LOWER_SEGMENT = r"[a-z0-9._-]+"
_ANY = ".+"
_MAX_DEPTH = 8  # expressions naming expressions; a cycle stops here and matches anything


@dataclass(frozen=True)
class Piece:
    pattern: str  # a regular expression
    shown: str  # how a person reads it


@dataclass(frozen=True)
class Push:
    """One image reference a workflow pushes."""

    shown: str  # e.g. ghcr.io/<owner>/<repo>/journal-api:<kbp image tag>
    repository: re.Pattern[str]  # full match of host/path
    tag: re.Pattern[str] | None  # None: any tag
    workflow: Manifest
    path: Path  # the field that names it (`with.tags`, `run`)

    def matches_repository(self, repository: str) -> bool:
        return self.repository.fullmatch(repository) is not None

    def matches_tag(self, tag: str | None) -> bool:
        return self.tag is None or (tag is not None and self.tag.fullmatch(tag) is not None)


@dataclass(frozen=True)
class _Context:
    workflow: Mapping[str, Any]
    job_id: str
    step_env: Mapping[str, Any]
    tag_format: re.Pattern[str]

    @property
    def job(self) -> Mapping[str, Any]:
        return as_map(as_map(self.workflow.get("jobs")).get(self.job_id))

    def env(self, name: str) -> Any:
        for scope in (self.step_env, as_map(self.job.get("env")), as_map(self.workflow.get("env"))):
            if name in scope:
                return scope[name]
        return None

    def for_job(self, job_id: str) -> _Context:
        return _Context(self.workflow, job_id, {}, self.tag_format)


def _bare_format(tag_format: re.Pattern[str]) -> str:
    return tag_format.pattern.removeprefix("^").removesuffix("$")


def _variable(name: str, op: str | None, ctx: _Context, depth: int) -> list[Piece]:
    lower = op == ",,"
    segment = _LOWER_SEGMENT if lower else _SEGMENT
    known = {
        "GITHUB_REPOSITORY": Piece(f"{segment}/{segment}", "<owner>/<repo>"),
        "GITHUB_REPOSITORY_OWNER": Piece(segment, "<owner>"),
        "GITHUB_SHA": Piece("[0-9a-f]{40}", "<sha>"),
    }
    if name in known:
        return [known[name]]
    value = ctx.env(name)
    if isinstance(value, str):
        return _pieces(value, ctx, depth + 1)
    return [Piece(_ANY, f"${name}")]


def _shell(text: str, ctx: _Context, depth: int) -> list[Piece]:
    """Shell text (a `run:` value): command substitutions and variables."""
    out: list[Piece] = []
    last = 0
    for match in _SHELL.finditer(text):
        out.append(Piece(re.escape(text[last : match.start()]), text[last : match.start()]))
        if match["cmd"] is not None:
            cmd = match["cmd"]
            if re.search(r"(^|[\s/])kbp\s+image\s+tag\b", cmd):
                out.append(Piece(_bare_format(ctx.tag_format), "<kbp image tag>"))
            else:
                out.append(Piece(_ANY, f"$({cmd.strip()})"))
        else:
            out.extend(_variable(match["braced"] or match["bare"], match["op"], ctx, depth))
        last = match.end()
    out.append(Piece(re.escape(text[last:]), text[last:]))
    return out


def _step_output(job: Mapping[str, Any], step_id: str, name: str) -> str | None:
    for raw in as_list(job.get("steps")):
        step = as_map(raw)
        if step.get("id") != step_id:
            continue
        for line in str(step.get("run", "")).splitlines():
            match = _OUTPUT_LINE.search(line.strip())
            if match and match["name"] == name:
                return match["value"]
    return None


_CONTEXTS = {
    "github.repository": Piece(f"{_SEGMENT}/{_SEGMENT}", "<owner>/<repo>"),
    "github.repository_owner": Piece(_SEGMENT, "<owner>"),
    "github.sha": Piece("[0-9a-f]{40}", "<sha>"),
}


def _expression(expr: str, ctx: _Context, depth: int) -> list[Piece]:
    """`steps.X.outputs.Y`, `needs.J.outputs.Y`, `env.X` followed; github.* by shape; else anything."""
    parts = expr.split(".")
    pieces: list[Piece] | None = None
    if expr in _CONTEXTS:
        pieces = [_CONTEXTS[expr]]
    elif depth > _MAX_DEPTH:
        pieces = None
    elif len(parts) == 4 and parts[0] == "steps" and parts[2] == "outputs":
        value = _step_output(ctx.job, parts[1], parts[3])
        pieces = None if value is None else _shell(value, ctx, depth + 1)
    elif len(parts) == 4 and parts[0] == "needs" and parts[2] == "outputs":
        other = ctx.for_job(parts[1])
        value = as_map(other.job.get("outputs")).get(parts[3])
        pieces = _pieces(value, other, depth + 1) if isinstance(value, str) else None
    elif len(parts) == 2 and parts[0] == "env":
        value = ctx.env(parts[1])
        pieces = _pieces(value, ctx, depth + 1) if isinstance(value, str) else None
    return pieces if pieces is not None else [Piece(_ANY, f"${{{{ {expr} }}}}")]


def _pieces(text: str, ctx: _Context, depth: int = 0) -> list[Piece]:
    """A workflow value: `${{ }}` expressions, the rest shell (a value set in `env:` may be either)."""
    out: list[Piece] = []
    last = 0
    for match in _EXPRESSION.finditer(text):
        out.extend(_shell(text[last : match.start()], ctx, depth))
        out.extend(_expression(match["expr"], ctx, depth))
        last = match.end()
    out.extend(_shell(text[last:], ctx, depth))
    return [p for p in out if p.shown]


def _push(reference: str, ctx: _Context, workflow: Manifest, path: Path) -> Push:
    pieces = _pieces(reference.strip(), ctx)
    # The tag starts after the last literal ':' that follows every literal '/'.
    split: tuple[int, int] | None = None
    for index, piece in enumerate(pieces):
        if piece.pattern == re.escape(piece.shown):
            if "/" in piece.shown:
                split = None
            if ":" in piece.shown and "/" not in piece.shown.rsplit(":", 1)[1]:
                split = (index, piece.shown.rindex(":"))
    shown = "".join(p.shown for p in pieces)
    if split is None:
        return Push(shown, re.compile("".join(p.pattern for p in pieces)), None, workflow, path)
    index, cut = split
    head, tail = pieces[index].shown[:cut], pieces[index].shown[cut + 1 :]
    repository = "".join(p.pattern for p in pieces[:index]) + re.escape(head)
    tag = re.escape(tail) + "".join(p.pattern for p in pieces[index + 1 :])
    return Push(shown, re.compile(repository), re.compile(tag), workflow, path)


def _run_pushes(run: str) -> Iterator[str]:
    """References a `run:` script pushes: `docker push REF`, `docker buildx build --push -t REF`."""
    for line in run.replace("\\\n", " ").splitlines():
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        if words[:2] == ["docker", "push"] and len(words) >= 3:
            yield words[-1]
        elif words[:3] == ["docker", "buildx", "build"] and "--push" in words:
            for flag, value in itertools.pairwise(words):
                if flag in ("-t", "--tag"):
                    yield value


def _is_off(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


def pushes(workflow: Manifest, tag_format: re.Pattern[str]) -> Iterator[Push]:
    """Every image reference the workflow may push (a `push:` expression counts: it is true on some run)."""
    body = workflow.body
    for job_id, job in as_map(body.get("jobs")).items():
        for index, raw in enumerate(as_list(as_map(job).get("steps"))):
            step = as_map(raw)
            ctx = _Context(body, str(job_id), as_map(step.get("env")), tag_format)
            base: Path = ("jobs", job_id, "steps", index)
            uses = str(step.get("uses", ""))
            if uses.split("@", 1)[0] == BUILD_PUSH:
                options = as_map(step.get("with"))
                if _is_off(options.get("push", False)):
                    continue
                for ref in re.split(r"[,\n]", str(options.get("tags", ""))):
                    if ref.strip():
                        yield _push(ref, ctx, workflow, (*base, "with", "tags"))
            elif isinstance(step.get("run"), str):
                for ref in _run_pushes(step["run"]):
                    yield _push(ref, ctx, workflow, (*base, "run"))
