"""Onboarding developers through the CertificateSigningRequest API (`kbp user`).

Pure builders (names, keys, kubeconfigs, quotas, plans) and one module of I/O, `flow`. Errors:

    UserError            anything `kbp user` reports (message names the object and the problem)
    ├── InvalidUserError      bad input, refused before any API call (exit 2)
    └── CertificateError the CSR was denied, failed, or not signed in time (exit 1)
"""

from __future__ import annotations


class UserError(Exception):
    """A `kbp user` command failed; the message is for people and names the object."""


class InvalidUserError(UserError):
    """A name, group, team, duration or file that kbp refuses before talking to the API."""


class CertificateError(UserError):
    """The certificate was not issued: denied, failed, or not signed before the timeout."""
