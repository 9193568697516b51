"""The OpenAPI 3.1 document, served at `/api/openapi.json`.

Hand-written paths, with schemas generated from the pydantic models; the schemathesis tests
check the running service against it, so it stays true.
"""

from __future__ import annotations

from typing import Any

import orjson

from journal import models
from journal.api import MAX_PAGE

VERSION = "1.0.0"
SCHEMAS = "#/components/schemas/"


def _json(schema: str, description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": SCHEMAS + schema}}},
    }
    if headers:
        response["headers"] = headers
    return response


def _problems(*codes: int) -> dict[str, Any]:
    reasons = {
        400: "Malformed JSON, wrong types, unknown fields or a bad query parameter; `detail` names it.",
        404: "No entry with this id (also for ids that are not positive integers).",
        413: "The body is larger than the configured limit (default 4096 bytes).",
        415: "The body was not sent as `Content-Type: application/json`.",
        422: "The `Idempotency-Key` was already used for an entry with other text.",
        503: (
            "Redis is unreachable: `detail` says whether reads or writes are refused, or that no replica"
            " confirmed a write in time, so its fate is unknown (retry with the same `Idempotency-Key`)."
        ),
    }
    return {str(code): _json("Problem", reasons[code]) for code in codes}


ID_PARAMETER = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The entry's id, a positive integer.",
    "schema": {"type": "string"},
}
IDEMPOTENCY_KEY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes retries safe: a repeat with the same key and text within the TTL (default 300 s) stores "
        "nothing and returns the first entry with `Idempotent-Replayed: true`. The local NGINX sets a "
        "unique key when the client sends none, so its retries to another API process write once."
    ),
    "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
}
VERSION_PARAMETER = {
    "name": "Journal-Version",
    "in": "header",
    "required": False,
    "description": (
        "Read your own writes: the highest `Journal-Version` this client got in a response. A process"
        " whose replica is older serves the read from the primary."
    ),
    "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
}
VERSION_HEADER = {
    "Journal-Version": {
        "description": "The journal's version this answer reflects; send the highest back on reads.",
        "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
    }
}
PAGE_PARAMETER = {
    "name": "page",
    "in": "query",
    "required": False,
    "description": "Page number, from 1; pages past the end are empty.",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
}


def _paths() -> dict[str, Any]:
    created_headers = {
        "Location": {"description": "URL of the new entry", "schema": {"type": "string"}},
        "Idempotent-Replayed": {
            "description": "`true` when an earlier request with this Idempotency-Key stored the entry",
            "schema": {"type": "string", "enum": ["true"]},
        },
        **VERSION_HEADER,
    }
    return {
        "/api": {
            "get": {
                "operationId": "listEntries",
                "summary": "List entries, newest first, one page at a time",
                "parameters": [PAGE_PARAMETER, VERSION_PARAMETER],
                "responses": {
                    "200": _json("PageOut", "One page of entries.", VERSION_HEADER),
                    **_problems(400, 503),
                },
            },
            "post": {
                "operationId": "addEntry",
                "summary": "Add an entry",
                "parameters": [IDEMPOTENCY_KEY_PARAMETER],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": SCHEMAS + "NewEntry"}}},
                },
                "responses": {
                    "201": _json("EntryOut", "The stored entry.", created_headers),
                    **_problems(400, 413, 415, 422, 503),
                },
            },
        },
        "/api/{id}": {
            "parameters": [ID_PARAMETER],
            "get": {
                "operationId": "getEntry",
                "summary": "Get one entry",
                "parameters": [VERSION_PARAMETER],
                "responses": {
                    "200": _json("EntryOut", "The entry.", VERSION_HEADER),
                    **_problems(400, 404, 503),
                },
            },
            "delete": {
                "operationId": "deleteEntry",
                "summary": "Delete one entry",
                "responses": {
                    "204": {"description": "Deleted.", "headers": VERSION_HEADER},
                    **_problems(404, 503),
                },
            },
        },
    }


def build_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for model in (models.NewEntry, models.EntryOut, models.PageOut, models.Problem):
        schema = model.model_json_schema(ref_template=SCHEMAS + "{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "journal",
            "version": VERSION,
            "description": "A small journal on replicated Redis. Errors are JSON objects with a `detail`.",
        },
        "paths": _paths(),
        "components": {"schemas": schemas},
    }


def render_document() -> bytes:
    return orjson.dumps(build_document())
