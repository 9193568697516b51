"""The AuthenticationConfiguration file: add, replace, remove, and refusing what is not one."""

from __future__ import annotations

from pathlib import Path

import pytest

from kbp.auth import AuthError, InvalidAuthError, authconfig
from kbp.auth.issuers import Issuer

DEX = Issuer("dex", "https://dex.example", "kbp")


def test_a_missing_file_is_an_empty_configuration(tmp_path: Path) -> None:
    assert authconfig.read(tmp_path / "none.yaml") == authconfig.empty()


def test_add_then_add_again_changes_nothing_and_keeps_other_keys(tmp_path: Path) -> None:
    path = tmp_path / "auth.yaml"
    head = f"apiVersion: {authconfig.API_VERSION}\nkind: {authconfig.KIND}\n"
    path.write_text(head + "jwt: []\nanonymous:\n  enabled: false\n")
    doc, changed = authconfig.with_issuer(authconfig.read(path), DEX)
    assert changed
    authconfig.write(path, doc)
    again, changed_again = authconfig.with_issuer(authconfig.read(path), DEX)
    assert not changed_again
    assert again["anonymous"] == {"enabled": False}
    assert [i.name for i in authconfig.list_issuers(again)] == ["dex"]


def test_an_issuer_replaces_the_one_of_its_name_in_place() -> None:
    doc, _ = authconfig.with_issuer(authconfig.empty(), DEX)
    doc, _ = authconfig.with_issuer(doc, Issuer("okta", "https://okta.example", "a"))
    doc, changed = authconfig.with_issuer(doc, Issuer("dex", "https://dex.example", "other-client"))
    assert changed
    assert [(i.name, i.client_id) for i in authconfig.list_issuers(doc)] == [
        ("dex", "other-client"),
        ("okta", "a"),
    ]


def test_one_url_under_two_names_is_refused() -> None:
    doc, _ = authconfig.with_issuer(authconfig.empty(), DEX)
    with pytest.raises(InvalidAuthError, match='already configured as "dex"'):
        authconfig.with_issuer(doc, Issuer("dex2", "https://dex.example", "kbp"))


def test_remove_and_find(tmp_path: Path) -> None:
    doc, _ = authconfig.with_issuer(authconfig.empty(), DEX)
    assert authconfig.find(doc, "dex", path=tmp_path).url == DEX.url
    doc, changed = authconfig.without_issuer(doc, "dex")
    assert changed
    with pytest.raises(InvalidAuthError, match="issuers there: none"):
        authconfig.find(doc, "dex", path=tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("kind: Config\n", "not an AuthenticationConfiguration", id="other-kind"),
        pytest.param(
            f"apiVersion: v1beta1\nkind: {authconfig.KIND}\n", "apiVersion v1beta1", id="old-version"
        ),
        pytest.param("[", "not YAML", id="not-yaml"),
    ],
)
def test_a_file_that_is_not_a_configuration_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "auth.yaml"
    path.write_text(text)
    with pytest.raises(AuthError, match=message):
        authconfig.read(path)
