"""External identity: OIDC issuers the API server trusts, and the token plugin developers run.

Pure builders (`issuers`, `presets`, `managed`) and I/O at the edges (`authconfig` writes the
AuthenticationConfiguration file, `tokens` talks to the issuer). Errors:

    AuthError                 anything `kbp auth` reports (the message names the issuer or file)
    └── InvalidAuthError      bad input, refused before anything is written (exit 2)
"""

from __future__ import annotations


class AuthError(Exception):
    """A `kbp auth` command failed; the message is for people and names the issuer or file."""


class InvalidAuthError(AuthError):
    """A name, URL, claim, rule or file that kbp refuses before writing anything."""
