"""The guard around msgspec's first decode of each type.

lightkube decodes with msgspec, which builds a Struct's type information on its first decode; two
threads doing that at once (for kinds sharing ObjectMeta, say, or two kubeconfig files) crash the
interpreter, as `kbp fleet status` asking three clusters at once showed. The first decode of each
kind, and the first kubeconfig read, run alone.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from lightkube.models.meta_v1 import Status

_FIRST_DECODE = threading.RLock()
_decoded: set[type] = set()


@contextmanager
def first_decode(res: type) -> Iterator[None]:
    """Run the body alone if `res` has not been decoded yet."""
    if res in _decoded:
        yield
        return
    with _FIRST_DECODE:
        yield
        _decoded.add(res)


def build_error_type() -> None:
    """lightkube decodes an error's body into a Status outside our first-decode guard (an ApiError
    raised by a kind decoded before), so Status's type information is built here, alone, before
    any call can fail."""
    with first_decode(Status):
        Status.from_dict(
            {"kind": "Status", "metadata": {}, "details": {"causes": [{"field": "f"}], "name": "n"}}
        )
