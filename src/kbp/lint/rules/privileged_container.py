"""privileged-container: privileged mode, privilege escalation, dangerous capabilities, host namespaces."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint.bundle import Bundle
from kbp.lint.manifests import WORKLOADS, Manifest, as_list, as_map, containers, pod_spec, pod_spec_path
from kbp.lint.rulebook import Hit, Options, Rule, Severity

DANGEROUS_CAPS = frozenset({"ALL", "SYS_ADMIN", "NET_ADMIN", "SYS_PTRACE", "SYS_MODULE", "DAC_READ_SEARCH"})
HOST_NAMESPACES = ("hostPID", "hostIPC", "hostNetwork")


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    spec_path = pod_spec_path(m)
    if spec_path is None:
        return
    spec = pod_spec(m)
    for key in HOST_NAMESPACES:
        if spec.get(key) is True:
            yield Hit(f"pod shares the node's {key[4:]} namespace ({key}: true)", (*spec_path, key))
    for c in containers(m):
        ctx = as_map(c.body.get("securityContext"))
        ctx_path = (*c.path, "securityContext")
        if ctx.get("privileged") is True:
            yield Hit(
                f"container {c.name!r} is privileged: it has root on the node", (*ctx_path, "privileged")
            )
        escalation = ctx.get("allowPrivilegeEscalation")
        if escalation is not False and ctx.get("privileged") is not True:
            where = (
                (*ctx_path, "allowPrivilegeEscalation")
                if escalation is not None
                else ctx_path
                if ctx
                else c.path
            )
            yield Hit(f"container {c.name!r}: set securityContext.allowPrivilegeEscalation: false", where)
        added = {str(cap).upper() for cap in as_list(as_map(ctx.get("capabilities")).get("add"))}
        for cap in sorted(added & DANGEROUS_CAPS):
            yield Hit(f"container {c.name!r} adds capability {cap}", (*ctx_path, "capabilities", "add"))


RULE = Rule(
    id="privileged-container",
    summary="Containers run unprivileged, without escalation or host namespaces",
    severity=Severity.ERROR,
    category="security",
    check=check,
    kinds=WORKLOADS,
)
