"""kbp.cli.options.exits: the one mapping of a module's errors to exit codes (2 bad input, 1 failed)."""

from __future__ import annotations

import pytest
import typer

from kbp.cli.options import exits


class Failed(Exception):
    pass


class Invalid(Failed):
    """Bad input is often a subclass of the module's failure: `bad` must still win."""


def _exit_of(error: Exception, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(typer.Exit) as exited, exits(bad=(Invalid, KeyError), failed=(Failed,)):
        raise error
    assert exited.value.__cause__ is error
    return exited.value.exit_code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("error", "code"),
    [(Invalid("no such team"), 2), (KeyError("x"), 2), (Failed("the API said no"), 1)],
    ids=["bad-subclass-of-failed", "second-bad-type", "failed"],
)
def test_each_error_exits_with_its_code_and_says_why(
    error: Exception, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _exit_of(error, capsys) == (code, f"error: {error}\n")


def test_an_error_it_does_not_map_goes_through_unchanged() -> None:
    with pytest.raises(ZeroDivisionError), exits(bad=(Invalid,), failed=(Failed,)):
        raise ZeroDivisionError


def test_nothing_raised_is_nothing_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with exits(bad=(Invalid,), failed=(Failed,)):
        pass
    assert capsys.readouterr().err == ""
