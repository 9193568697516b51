"""kbp image: the immutable tag images are built and deployed with, and building and loading them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kbp.cli.cluster import Name, StateDir, _layout
from kbp.cli.options import Output, fail
from kbp.output import Format

app = typer.Typer(help="Image tags for releases; build and load the images.", no_args_is_help=True)


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


@app.command()
def build(  # noqa: PLR0917 -- Typer's parameters
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Images to build: api, fileserver, kbp, redis, pause (default: all but pause)."),
    ] = None,
    repo: Annotated[
        Path, typer.Option("--repo", "-C", help="A path inside the git checkout (default: .).")
    ] = Path("."),
    allow_dirty: Annotated[
        bool,
        typer.Option("--allow-dirty", help="Tag uncommitted changes as `kbp image tag --allow-dirty` does."),
    ] = False,
    load: Annotated[
        bool | None,
        typer.Option(
            "--load/--no-load",
            help="Load into the cluster's real node (default: when `kbp cluster up --real-node` runs).",
        ),
    ] = None,
    state_dir: StateDir = None,
    name: Name = None,
    output: Output = Format.table,
) -> None:
    """Build the images from the repository's Dockerfiles with buildah, on Debian-made bases, and load them.

    A second run with nothing changed is a cache hit (a key over every input). Exit 0 built, 1 a build or
    load failed, 2 bad input (an unknown image, no checkout, a dirty tree without --allow-dirty).
    """
    from kbp.cluster.record import Cluster  # noqa: PLC0415
    from kbp.images import catalog  # noqa: PLC0415
    from kbp.images.build import build as build_images  # noqa: PLC0415
    from kbp.images.buildah import BuildError  # noqa: PLC0415
    from kbp.images.load import load as load_images  # noqa: PLC0415
    from kbp.images.load import refs  # noqa: PLC0415
    from kbp.output import emit, note  # noqa: PLC0415
    from kbp.release import git, tags  # noqa: PLC0415

    wanted = names or list(catalog.DEFAULT)
    unknown = [item for item in wanted if item not in catalog.NAMES]
    if unknown:
        raise fail(f"unknown image {', '.join(unknown)}: expected {', '.join(catalog.NAMES)}", 2)
    try:
        checkout = git.read_checkout(repo)
        tag = tags.compute(checkout, allow_dirty=allow_dirty).tag
    except tags.TagError as err:
        raise fail(f"{repo}: {err}", 2) from err
    node = None
    if load is not False:
        cluster = Cluster.load(_layout(state_dir, name))
        node = cluster.node if cluster else None
        if node is None and load:
            raise fail("--load: no real node here; start one with `kbp cluster up --real-node`", 2)
    try:
        built = build_images(git.toplevel(repo), wanted, say=note)
        loaded = load_images(node.ctr, built, tag) if node is not None else []
    except BuildError as err:
        raise fail(str(err)) from err
    rows = [
        {
            "name": item.name,
            "ref": refs(item, tag)[0],
            "key": item.key,
            "image": item.ref,  # as built, content-named: in the archive and in buildah's store
            "cached": item.cached,
            "seconds": round(item.seconds, 1),
            "loaded": refs(item, tag)[0] in loaded,
            "archive": str(item.archive),
        }
        for item in built
    ]
    columns = [
        ("name", "name"),
        ("ref", "ref"),
        ("cached", "cached"),
        ("seconds", "seconds"),
        ("loaded", "loaded"),
    ]
    emit(rows, kind="Image", columns=columns, fmt=output)
