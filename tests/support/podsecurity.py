"""The container securityContext Pod Security `restricted` admits (every kbp namespace enforces it)."""

from __future__ import annotations

from typing import Any


def restricted(user: int | None = None) -> dict[str, Any]:
    """A fresh copy each call: tests change theirs (to root, say) to show it is refused."""
    context: dict[str, Any] = {
        "runAsNonRoot": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if user is not None:
        context["runAsUser"] = user  # for an image that names no user (nodetest's)
    return context
