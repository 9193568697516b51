"""Rendered manifests (helm's and helmfile's output, Helm's release records) read through libyaml,
PyYAML's C loader, which its wheels carry: the same documents as `yaml.safe_load_all`, several
times faster on a chart's output (bench/manifests.py). Files people write keep PyYAML's own
loader, whose errors quote the offending line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_all(text: str) -> Iterator[Any]:
    """Each document of a multi-document stream (None for an empty one), as yaml.safe_load_all."""
    return yaml.load_all(text, Loader=LOADER)
