"""kbp image: the immutable tag images are built and deployed with."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kbp.cli.options import Output, fail
from kbp.output import Format

app = typer.Typer(help="Image tags for releases.", no_args_is_help=True)


@app.command()
def tag(
    repo: Annotated[
        Path, typer.Option("--repo", "-C", help="A path inside the git checkout (default: .).")
    ] = Path("."),
    allow_dirty: Annotated[
        bool,
        typer.Option(
            "--allow-dirty",
            help="Tag uncommitted changes as v<semver>-dirty.<tree hash>-<sha> (default: refuse).",
        ),
    ] = False,
    output: Output = Format.table,
) -> None:
    """Print v<semver>-<sha8> for HEAD: the semver of the nearest v* tag, else pyproject's version.

    Exit 0 printed, 1 the tree is dirty (without --allow-dirty), 2 no checkout or no usable version.
    """
    from kbp.output import emit_one, note  # noqa: PLC0415
    from kbp.release import git, tags  # noqa: PLC0415

    try:
        result = tags.compute(git.read_checkout(repo), allow_dirty=allow_dirty)
    except tags.DirtyTreeError as err:
        raise fail(f"{repo}: {err}") from err
    except tags.TagError as err:
        raise fail(str(err), 2) from err
    if result.dirty:
        note(f"warning: uncommitted changes; {result.tag} names this working tree, not a commit")
    if output is Format.json:
        emit_one(
            {
                "tag": result.tag,
                "version": result.version,
                "commit": result.commit,
                "source": result.source,
                "dirty": result.dirty,
            },
            fmt=output,
        )
    else:
        typer.echo(result.tag)
