"""JSON schemas for kubeconform, made offline from the OpenAPI document of the Kubernetes we build.

kubeconform downloads its schemas from raw.githubusercontent.com at run time, which this machine
cannot reach. Those schemas are generated from Kubernetes' `api/openapi-spec/swagger.json`
(openapi2jsonschema, "standalone": every $ref inlined); the same document ships in the
k8s.io/kubernetes module that `testenv/` downloads, so we generate the same layout from it:
`<kind>-<group>-<version>.json`, named the way kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}`
template looks them up.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# Formats whose values YAML writes as numbers though the OpenAPI type says string
# (openapi2jsonschema widens them the same way).
NUMERIC_STRINGS = {
    "int-or-string": [{"type": "string"}, {"type": "integer"}],
    "quantity": [{"type": "string"}, {"type": "number"}],
}
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"


def kubernetes_version() -> str:
    match = re.search(r"^\s*k8s\.io/kubernetes (v\S+)", (REPO / "testenv" / "go.mod").read_text(), re.M)
    if match is None:
        raise LookupError("testenv/go.mod does not require k8s.io/kubernetes")
    return match.group(1)


def swagger_path(version: str) -> Path:
    modcache = subprocess.run(
        ["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return Path(modcache) / f"k8s.io/kubernetes@{version}" / "api" / "openapi-spec" / "swagger.json"


def _inline(schema: Any, definitions: dict[str, Any], stack: tuple[str, ...]) -> Any:
    if isinstance(schema, list):
        return [_inline(item, definitions, stack) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/definitions/"):
        name = ref.removeprefix("#/definitions/")
        if name in stack:  # recursive types (JSONSchemaProps) stop here: anything validates
            return {}
        return _inline(_widened(name, definitions[name]), definitions, (*stack, name))
    return {key: _inline(value, definitions, stack) for key, value in schema.items()}


def _widened(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    fmt = "quantity" if name == QUANTITY else schema.get("format")
    if fmt in NUMERIC_STRINGS:
        rest = {k: v for k, v in schema.items() if k not in ("type", "format")}
        return {**rest, "oneOf": NUMERIC_STRINGS[fmt]}
    return schema


def file_name(kind: str, group: str, version: str) -> str:
    """What kubeconform's schemaPath builds: the group's first label, then the version."""
    suffix = f"-{group.split('.', maxsplit=1)[0]}-{version}" if group else f"-{version}"
    return f"{kind.lower()}{suffix.lower()}.json"


def generate(swagger: Path, out: Path) -> int:
    """Write one standalone schema per kind; returns how many."""
    definitions: dict[str, Any] = json.loads(swagger.read_text())["definitions"]
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for name, schema in definitions.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            standalone = _inline(_widened(name, schema), definitions, (name,))
            standalone["$schema"] = "http://json-schema.org/schema#"
            path = out / file_name(gvk["kind"], gvk.get("group", ""), gvk["version"])
            path.write_text(json.dumps(standalone))
            written += 1
    return written


def directory(cache: Path) -> Path:
    """Where the schemas for testenv's Kubernetes live (see `ensure`)."""
    return cache / kubernetes_version()


def ensure(cache: Path) -> Path:
    """The schema directory for testenv's Kubernetes, generated once; raises when the spec is missing."""
    out = directory(cache)
    if not (out / "deployment-apps-v1.json").is_file():
        swagger = swagger_path(out.name)
        if not swagger.is_file():
            raise FileNotFoundError(f"{swagger} (run `bash testenv/build.sh` to download the module)")
        generate(swagger, out)
    return out
