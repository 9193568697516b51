"""secret-in-configmap: ConfigMap keys or values that look like passwords, tokens or keys."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint import secrets
from kbp.lint.bundle import Bundle
from kbp.lint.manifests import Manifest, as_map
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def _problem(key: str, value: str) -> str | None:
    if secrets.is_secret_name(key) and not secrets.is_placeholder(value):
        return f"key {key!r} looks like a secret"
    shape = secrets.token_shape(value)
    if shape is not None:
        return f"value of {key!r} contains a {shape}"
    setting = secrets.config_assignment(value) if "\n" in value or len(value) > 40 else None
    if setting is not None:
        return f"value of {key!r} sets {setting} to a literal"
    return None


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    if m.kind != "ConfigMap":
        return
    for key, value in as_map(m.body.get("data")).items():
        problem = _problem(str(key), "" if value is None else str(value))
        if problem is not None:
            yield Hit(f"{problem}; keep it in a Secret mounted as a volume", ("data", key))
    for key in as_map(m.body.get("binaryData")):
        if secrets.is_secret_name(str(key)):
            yield Hit(f"binaryData key {key!r} looks like a secret; use a Secret", ("binaryData", key))


RULE = Rule(
    id="secret-in-configmap",
    summary="ConfigMaps hold no passwords, tokens or keys",
    severity=Severity.ERROR,
    category="secrets",
    check=check,
    kinds=frozenset({"ConfigMap"}),
)
