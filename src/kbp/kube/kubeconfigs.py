"""Kubeconfig contexts: a client for one, the namespace it sets."""

from __future__ import annotations

from pathlib import Path

import httpx2
from lightkube import Client
from lightkube.config.kubeconfig import KubeConfig, SingleConfig
from lightkube.core.exceptions import ConfigError

from kbp.kube.decoding import build_error_type, first_decode
from kbp.kube.errors import KubeError, translated

FIELD_MANAGER = "kbp"
# Callers annotate with this name, so only this package names lightkube.
KubeClient = Client


def connect(
    kubeconfig: Path | None = None,
    *,
    context: str | None = None,
    namespace: str | None = None,
    field_manager: str = FIELD_MANAGER,
    timeout: float | None = None,
) -> KubeClient:
    """A client for a kubeconfig's context (its current one unless `context` names another).

    Without a file, kubectl's order: the pod's ServiceAccount, then `$KUBECONFIG`, then ~/.kube/config.
    `namespace` defaults to the context's namespace, as kubectl does. `timeout` bounds each
    request (lightkube's default is 10 s).
    """
    single = load_context(kubeconfig, context)
    build_error_type()
    with translated():
        return Client(
            single,
            namespace=namespace,
            field_manager=field_manager,
            trust_env=False,
            timeout=httpx2.Timeout(timeout) if timeout is not None else None,
        )


def context_namespace(kubeconfig: Path | None = None, *, context: str | None = None) -> str:
    """The namespace a kubeconfig context sets (kubectl's default for `-n`), else "default"."""
    return load_context(kubeconfig, context).namespace


def load_context(kubeconfig: Path | None, context: str | None) -> SingleConfig:
    try:
        with first_decode(KubeConfig):  # msgspec converts the file too; threads connect at once
            config = KubeConfig.from_file(kubeconfig) if kubeconfig else KubeConfig.from_env()
        single = config.get(context_name=context)
    except (ConfigError, OSError) as exc:
        raise KubeError(f"kubeconfig {kubeconfig or '(default)'}: {exc}") from exc
    if single is None:
        raise KubeError(f"kubeconfig {kubeconfig or '(default)'}: no current context")
    return single
