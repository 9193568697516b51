"""How commands print: tables for people, `-o json` (a Kubernetes-style List) for scripts, and
progress on stderr only when it is a terminal, so `-o json | jq` always works."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


class Format(StrEnum):
    table = "table"
    json = "json"


def as_list(items: Sequence[Mapping[str, Any]], kind: str) -> dict[str, Any]:
    """Machine output: `.items[]`, and fields only ever gain members."""
    return {"apiVersion": "kbp.dev/v1", "kind": f"{kind}List", "items": [dict(i) for i in items]}


def emit(
    items: Sequence[Mapping[str, Any]],
    *,
    kind: str,
    columns: Sequence[tuple[str, str]],
    fmt: Format,
    title: str | None = None,
) -> None:
    """Print `items` as a table (`columns` maps header -> key) or as a JSON List."""
    if fmt is Format.json:
        sys.stdout.write(json.dumps(as_list(items, kind), indent=2, default=str) + "\n")
        return
    from rich.table import Table  # noqa: PLC0415 -- keeps `--help` fast

    table = Table(title=title, box=None, header_style="bold", pad_edge=False)
    for header, _ in columns:
        table.add_column(header.upper())
    for item in items:
        table.add_row(*(_cell(item.get(key)) for _, key in columns))
    console().print(table)


def emit_one(item: Mapping[str, Any], *, fmt: Format) -> None:
    """One object: JSON as is, or `key: value` lines for people."""
    if fmt is Format.json:
        sys.stdout.write(json.dumps(dict(item), indent=2, default=str) + "\n")
        return
    width = max((len(k) for k in item), default=0)
    for key, value in item.items():
        sys.stdout.write(f"{key + ':':<{width + 1}} {_cell(value)}\n")


def console() -> Console:
    """stdout for tables: the terminal's width, or unbounded when piped (Rich would cut to 80 columns,
    and `kbp ... | grep` must see whole rows, as with kubectl)."""
    from rich.console import Console  # noqa: PLC0415

    return Console(soft_wrap=True, width=None if sys.stdout.isatty() else 10_000)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value) or "-"
    return str(value)


@contextmanager
def progress(what: str) -> Iterator[None]:
    """A spinner naming what we wait for, on stderr, only on a terminal."""
    if not sys.stderr.isatty():
        yield
        return
    from rich.console import Console  # noqa: PLC0415

    with Console(stderr=True).status(what):
        yield


def note(message: str) -> None:
    """A diagnostic line for people, on stderr."""
    sys.stderr.write(message + "\n")
