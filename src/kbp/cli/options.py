"""The flags every cluster command shares, spelled as kubectl spells them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kbp.output import Format

if TYPE_CHECKING:
    from kbp.kube import KubeClient

Kubeconfig = Annotated[
    Path | None,
    typer.Option(
        "--kubeconfig",
        envvar="KUBECONFIG",
        help="Kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else the pod's ServiceAccount).",
    ),
]
Context = Annotated[str | None, typer.Option("--context", help="Kubeconfig context (default: current).")]
Namespace = Annotated[
    str | None, typer.Option("--namespace", "-n", help="Namespace (default: the context's).")
]
Output = Annotated[Format, typer.Option("--output", "-o", help="table for people, json for scripts.")]


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `error: message` on stderr; raise the result. Exit 1 failed, 2 bad usage or input."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


Errors = tuple[type[Exception], ...]


@contextmanager
def exits(*, bad: Errors = (), failed: Errors = ()) -> Iterator[None]:
    """Map a module's errors to exits, each printing `error: ...`: `bad` (input wrong, nothing
    done) exits 2, `failed` exits 1. `bad` is matched first, so it may hold subclasses of `failed`."""
    try:
        yield
    except bad as exc:
        raise fail(str(exc), 2) from exc
    except failed as exc:
        raise fail(str(exc)) from exc


def client(
    kubeconfig: Path | None, context: str | None, namespace: str | None = None, *, field_manager: str = "kbp"
) -> KubeClient:
    """A client for the flags given, or exit 1 naming what was wrong with the kubeconfig."""
    from kbp import kube  # noqa: PLC0415 -- lightkube is slow to import

    try:
        return kube.connect(kubeconfig, context=context, namespace=namespace, field_manager=field_manager)
    except kube.KubeError as exc:
        raise fail(str(exc)) from exc
