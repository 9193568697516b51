"""run-as-root: containers must run as a non-root user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import WORKLOADS, Manifest, Path, as_map, containers, pod_spec, pod_spec_path
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def _effective(
    key: str, ctx: dict[str, Any], pod_ctx: dict[str, Any], c_path: Path, p_path: Path
) -> tuple[Any, Path]:
    """A container's securityContext value overrides the pod's, as the kubelet does."""
    if key in ctx:
        return ctx[key], (*c_path, key)
    return pod_ctx.get(key), (*p_path, key)


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    spec_path = pod_spec_path(m)
    if spec_path is None:
        return
    pod_ctx = dict(as_map(pod_spec(m).get("securityContext")))
    pod_ctx_path = (*spec_path, "securityContext")
    for c in containers(m):
        ctx = dict(as_map(c.body.get("securityContext")))
        ctx_path = (*c.path, "securityContext")
        user, user_path = _effective("runAsUser", ctx, pod_ctx, ctx_path, pod_ctx_path)
        non_root, non_root_path = _effective("runAsNonRoot", ctx, pod_ctx, ctx_path, pod_ctx_path)
        if user == 0:
            yield Hit(f"container {c.name!r} runs as UID 0 (root)", user_path)
        elif non_root is not True and not (isinstance(user, int) and user > 0):
            where = non_root_path if non_root is not None else ctx_path if ctx else c.path
            yield Hit(
                f"container {c.name!r} may run as root: set runAsNonRoot: true (and a non-zero runAsUser)",
                where,
            )


RULE = Rule(
    id="run-as-root",
    summary="Containers run as a non-root user",
    severity=Severity.WARNING,
    category="security",
    check=check,
    kinds=WORKLOADS,
)
