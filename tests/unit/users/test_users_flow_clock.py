"""Onboarding decides with the clock it is given (`add(now=...)`), never the wall clock."""

from __future__ import annotations

import ast
import inspect

from kbp.users import converging, flow, issuing, offboarding


def wall_clock_reads(module: object) -> list[str]:
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    return [
        f"line {node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in {"now", "utcnow", "today", "time", "monotonic"}
        and isinstance(node.value, ast.Attribute | ast.Name)
        and (node.value.attr if isinstance(node.value, ast.Attribute) else node.value.id)
        in {"datetime", "date", "time"}
    ]


def test_the_flows_read_no_wall_clock() -> None:
    assert wall_clock_reads(flow) == []
    assert wall_clock_reads(issuing) == []
    assert wall_clock_reads(converging) == []
    assert wall_clock_reads(offboarding) == []
