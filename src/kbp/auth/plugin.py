"""`kbp auth token` without Typer: kubectl runs it before every request it has no valid token for,
so it parses its three flags itself and imports only what it needs (bench/lint.py measured Typer
and the command tree at ~0.3 s)."""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from kbp.auth import AuthError, InvalidAuthError, credentials, issuers, tokens

CA_ENV = "KBP_OIDC_CA_DATA"  # base64 PEM, set by the kubeconfigs kbp writes


def client(issuer: str, client_id: str, ca_file: Path | None) -> tokens.Client:
    issuers.check_url(issuer)
    ca = read_ca(ca_file)
    if ca is None and os.environ.get(CA_ENV):
        try:
            ca = base64.b64decode(os.environ[CA_ENV], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidAuthError(f"${CA_ENV}: not base64 of a PEM CA") from exc
    return tokens.Client(issuer, client_id, ca)


def read_ca(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidAuthError(f"--ca-file {path}: cannot read: {exc.strerror}") from exc
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise InvalidAuthError(f"--ca-file {path}: not a PEM certificate")
    return text


def device_login(remote: tokens.Issuer) -> tokens.Tokens:
    def show(prompt: tokens.DevicePrompt) -> None:
        where = prompt.complete_url or prompt.url
        print(f"To log in, open {where} and enter the code {prompt.user_code}", file=sys.stderr, flush=True)

    return remote.device(show)


def run(issuer: str, client_id: str, ca_file: Path | None) -> str:
    """The ExecCredential JSON for kubectl."""
    found_client = client(issuer, client_id, ca_file)
    remote = tokens.Issuer(found_client)
    try:
        login = device_login if credentials.interactive(os.environ) else None
        path = credentials.cache_path(found_client, credentials.cache_dir())
        found = credentials.token(remote, path, login=login)
    finally:
        remote.close()
    return json.dumps(credentials.exec_credential(found))


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="kbp auth token", description="The kubectl exec credential plugin.")
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--ca-file", type=Path)
    args = parser.parse_args(argv)
    try:
        sys.stdout.write(run(args.issuer, args.client_id, args.ca_file) + "\n")
    except InvalidAuthError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except AuthError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
