"""secret-in-env: a secret written as a literal env value in the manifest."""

from __future__ import annotations

from collections.abc import Iterator

from kbp.lint import secrets
from kbp.lint.bundle import Bundle
from kbp.lint.manifests import WORKLOADS, Manifest, as_list, as_map, containers
from kbp.lint.rulebook import Hit, Options, Rule, Severity


def check(m: Manifest, bundle: Bundle, options: Options) -> Iterator[Hit]:
    for c in containers(m):
        for index, raw in enumerate(as_list(c.body.get("env"))):
            env = as_map(raw)
            name, value = str(env.get("name", "")), env.get("value")
            if value is None or secrets.is_placeholder(str(value)):
                continue
            path = (*c.path, "env", index, "value")
            if secrets.is_secret_name(name):
                yield Hit(
                    f"container {c.name!r}: env {name} holds a literal secret; mount a Secret volume", path
                )
            elif (shape := secrets.token_shape(str(value))) is not None:
                yield Hit(f"container {c.name!r}: env {name} contains a {shape}; mount a Secret volume", path)


RULE = Rule(
    id="secret-in-env",
    summary="No secrets as literal environment values",
    severity=Severity.ERROR,
    category="secrets",
    check=check,
    kinds=WORKLOADS,
)
