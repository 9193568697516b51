"""The OpenAPI document: 3.1, every route documented, schemas from the pydantic models."""

from __future__ import annotations

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


def test_every_reference_resolves() -> None:
    document = build_document()
    rendered = render_document().decode()
    schemas = document["components"]["schemas"]

    for name in ("NewEntry", "EntryOut", "PageOut", "Problem"):
        assert f"#/components/schemas/{name}" in rendered or name == "NewEntry"
        assert name in schemas
    assert orjson.loads(rendered) == document


def test_errors_are_documented_per_operation() -> None:
    paths = build_document()["paths"]

    assert set(paths["/api"]["post"]["responses"]) == {"201", "400", "413", "422", "503"}
    assert set(paths["/api"]["get"]["responses"]) == {"200", "400", "503"}
    assert set(paths["/api/{id}"]["delete"]["responses"]) == {"204", "404", "503"}
