"""The OpenAPI document: 3.1, every route documented, schemas from the pydantic models."""

from __future__ import annotations

from typing import Any

import orjson

from journal.models import MAX_TEXT_CHARS, TEXT_PATTERN
from journal.openapi import build_document, render_document


def test_the_document_is_openapi_31_with_every_route() -> None:
    document = build_document()

    assert document["openapi"] == "3.1.0"
    assert {path: sorted(set(ops) - {"parameters"}) for path, ops in document["paths"].items()} == {
        "/api": ["get", "post"],
        "/api/{id}": ["delete", "get"],
    }


def test_the_new_entry_schema_carries_the_validation_rules() -> None:
    text = build_document()["components"]["schemas"]["NewEntry"]["properties"]["text"]

    assert (text["minLength"], text["maxLength"], text["pattern"]) == (1, MAX_TEXT_CHARS, TEXT_PATTERN)
    assert build_document()["components"]["schemas"]["NewEntry"]["additionalProperties"] is False


def references(node: Any) -> list[str]:
    """Every `$ref` value anywhere in a JSON document."""
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in references(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in references(value)]
    return []


def resolve(document: dict[str, Any], ref: str) -> Any:
    """Follow a local JSON pointer (`#/components/schemas/Problem`); KeyError if it leads nowhere."""
    assert ref.startswith("#/"), f"{ref} is not a local reference"
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_every_reference_resolves_to_a_schema() -> None:
    document = orjson.loads(render_document())  # what clients download
    refs = references(document)

    # Every operation's body and responses point into components: far more than the five schemas.
    assert len(refs) >= 15
    for ref in refs:
        target = resolve(document, ref)
        assert isinstance(target, dict)
        assert "type" in target or "anyOf" in target or "$ref" in target, ref


def test_errors_are_documented_per_operation() -> None:
    paths = build_document()["paths"]

    assert set(paths["/api"]["post"]["responses"]) == {"201", "400", "413", "415", "422", "503"}
    assert set(paths["/api"]["get"]["responses"]) == {"200", "400", "503"}
    assert set(paths["/api/{id}"]["get"]["responses"]) == {"200", "400", "404", "503"}
    assert set(paths["/api/{id}"]["delete"]["responses"]) == {"204", "404", "503"}
