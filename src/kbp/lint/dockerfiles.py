"""The FROM lines of a Dockerfile: flags, global ARG substitution and multi-stage aliases."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from kbp.lint.manifests import Position

_VAR = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-+])?(?P<word>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)
_DIRECTIVE = re.compile(r"^#\s*escape\s*=\s*(?P<char>\S)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Stage:
    """One FROM: the image as written, as resolved (None if an ARG has no value), and its alias."""

    position: Position
    written: str
    image: str | None
    alias: str | None
    platform: str | None
    from_stage: bool  # FROM <earlier stage> or scratch: no image is pulled


@dataclass(frozen=True)
class Dockerfile:
    source: str
    stages: tuple[Stage, ...]


def _instructions(text: str) -> Iterator[tuple[int, str]]:
    """Logical lines (continuations joined) with their first physical line number."""
    lines = text.splitlines()
    escape = "\\"
    if lines and (m := _DIRECTIVE.match(lines[0])):
        escape = m["char"]
    start, buf = 0, ""
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue  # comment lines inside a continuation are dropped by Docker too
        if not buf:
            start = number
        if stripped.endswith(escape):
            buf += stripped[: -len(escape)] + " "
            continue
        yield start, buf + stripped
        buf = ""
    if buf:
        yield start, buf


def substitute(word: str, env: Mapping[str, str | None]) -> str | None:
    """Expand $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alt}; None if a variable has no value."""
    missing = False

    def repl(m: re.Match[str]) -> str:
        nonlocal missing
        name = m["braced"] or m["bare"]
        value = env.get(name)
        op, alt = m["op"], m["word"] or ""
        if op in (":-", "-"):
            return value if value else alt
        if op in (":+", "+"):
            return alt if value else ""
        if value is None:
            missing = True
            return ""
        return value

    result = _VAR.sub(repl, word)
    return None if missing else result


def _parse_args(rest: str, env: dict[str, str | None]) -> None:
    for item in rest.split():
        name, eq, default = item.partition("=")
        env[name] = default.strip("\"'") if eq else env.get(name)


def _parse_from(line: int, rest: str, env: Mapping[str, str | None], aliases: set[str]) -> Stage:
    words = rest.split()
    platform = None
    while words and words[0].startswith("--"):
        flag = words.pop(0)
        if flag.startswith("--platform="):
            platform = flag.partition("=")[2]
    written = words[0] if words else ""
    alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
    image = substitute(written, env)
    from_stage = image is not None and (image.lower() in aliases or image == "scratch")
    if alias:
        aliases.add(alias.lower())
    return Stage((line, 1), written, image, alias, platform, from_stage)


def parse(text: str, source: str) -> Dockerfile:
    env: dict[str, str | None] = {}  # only ARGs before the first FROM apply to FROM lines
    aliases: set[str] = set()
    stages: list[Stage] = []
    for line, instruction in _instructions(text):
        keyword, _, rest = instruction.partition(" ")
        keyword = keyword.upper()
        if keyword == "ARG" and not stages:
            _parse_args(rest, env)
        elif keyword == "FROM":
            stages.append(_parse_from(line, rest, env, aliases))
    return Dockerfile(source, tuple(stages))
