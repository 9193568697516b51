"""YAML documents lint reads that are not Kubernetes objects: CI workflows and helmfiles."""

from __future__ import annotations

from typing import Any, Literal

DocumentKind = Literal["workflow", "helmfile"]
# helmfile's top-level keys (helmfile v1 state file); a part holding only these is a helmfile's.
HELMFILE_KEYS = frozenset(
    {
        "environments", "repositories", "releases", "helmDefaults", "helmfiles", "bases", "values",
        "missingFileHandler", "commonLabels", "templates", "apiVersions", "kubeVersion", "lockFilePath",
        "hooks", "helmBinary", "kustomizeBinary", "selectors",
    }
)  # fmt: skip


def kind_of(body: Any) -> DocumentKind | None:
    """A GitHub Actions workflow (`on` and `jobs`), a helmfile part, or neither."""
    if not isinstance(body, dict) or not body:
        return None
    if isinstance(body.get("jobs"), dict) and ("on" in body or True in body):
        return "workflow"
    if set(body) <= HELMFILE_KEYS:
        return "helmfile"
    return None
