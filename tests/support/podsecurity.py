"""The container securityContext Pod Security `restricted` admits (every kbp namespace enforces it)."""

from __future__ import annotations

from typing import Any

RESTRICTED: dict[str, Any] = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
# nodetest's image names no user, so pods that run it on the real node say which.
RESTRICTED_AS_USER: dict[str, Any] = {**RESTRICTED, "runAsUser": 10001}
