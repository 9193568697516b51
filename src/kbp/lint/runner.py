"""One lint run from CLI options to exit code: gather inputs, lint, filter, render. The CLI's only callee."""

from __future__ import annotations

import dataclasses
import gc
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from kbp.lint import baseline, engine, sources
from kbp.lint.errors import LintError
from kbp.lint.findings import Result
from kbp.lint.report import FORMATS, render
from kbp.lint.report.text_report import summary
from kbp.lint.rulebook import Severity

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
DEFAULT_CONFIGS = ("kbp-lint.yaml", ".kbp-lint.yaml")


@dataclass(frozen=True)
class Chart:
    """One chart to render, as one release."""

    path: Path
    values: tuple[Path, ...] = ()
    sets: tuple[str, ...] = ()
    release: str = "release"
    namespace: str | None = None


@dataclass(frozen=True)
class Request:
    paths: tuple[str, ...] = ()
    chart: Path | None = None  # the first chart, with the four fields below (see charts)
    values: tuple[Path, ...] = ()
    sets: tuple[str, ...] = ()
    release: str = "release"
    namespace: str | None = None
    charts: tuple[Chart, ...] = ()  # more charts, each its own release, linted together
    helmfile: Path | None = None  # a helmfile's releases: local charts rendered, all declared
    environment: str = "default"
    api_versions: tuple[str, ...] = ()  # the target cluster's APIs, for charts that check them
    output: str = "text"
    config: Path | None = None
    fail_on: str | None = None
    baseline: Path | None = None
    write_baseline: Path | None = None


@dataclass(frozen=True)
class Streams:
    stdin: BinaryIO
    stdout: TextIO
    stderr: TextIO


def _policy(req: Request) -> engine.Policy:
    path = req.config
    if path is None:  # discovered in the working directory, like .kube-linter.yaml
        path = next((Path(p) for p in DEFAULT_CONFIGS if Path(p).is_file()), None)
    policy = engine.Policy()
    if path is not None:
        from kbp.lint import config  # noqa: PLC0415 - msgspec loads only for a config file

        policy = config.load(path)
    if req.fail_on is not None:
        try:
            policy = dataclasses.replace(policy, fail_on=Severity.parse(req.fail_on))
        except ValueError as err:
            raise LintError(f"--fail-on: {err}") from None
    return policy


def _split_rendered(collected: sources.Collected) -> None:
    """`helm template ... | kbp lint -`: name findings after the templates, as --chart does."""
    split: list[sources.Source] = []
    for source in collected.sources:
        if source.name == "<stdin>" and "# Source: " in source.text:
            from kbp.lint import helm  # noqa: PLC0415 - only for rendered charts

            split.extend(helm.split(source.text, None, prefix_name=source.name))
        else:
            split.append(source)
    collected.sources[:] = split


def charts(req: Request) -> tuple[Chart, ...]:
    first = () if req.chart is None else (Chart(req.chart, req.values, req.sets, req.release, req.namespace),)
    return first + req.charts


def _render(chart: Chart, api_versions: tuple[str, ...]) -> list[sources.Source]:
    from kbp.lint import helm  # noqa: PLC0415 - subprocess machinery only for charts
    from kbp.lint.manifests import Release  # noqa: PLC0415

    cmd = helm.template_command(
        helm.find_helm(),
        chart.path,
        values=chart.values,
        sets=chart.sets,
        release=chart.release,
        namespace=chart.namespace,
        api_versions=api_versions,
    )
    # helm installs into "default" without --namespace; objects without one land in the release's.
    release = Release(chart.release, chart.namespace or "default", chart.path.resolve().name)
    return helm.split(helm.render(cmd), chart.path, release=release)


def _gather(req: Request, stdin: BinaryIO) -> sources.Collected:
    collected = sources.collect(req.paths, stdin)
    _split_rendered(collected)
    api_versions = req.api_versions
    if req.helmfile is not None:
        from kbp.lint import helmfiles  # noqa: PLC0415 - only for --helmfile

        # The charts land on a cluster with these releases: render them with the APIs they add.
        api_versions += helmfiles.provided_apis(req.helmfile)
        collected.sources.extend(helmfiles.sources(req.helmfile, req.environment))
    for chart in charts(req):
        collected.sources.extend(_render(chart, api_versions))
    return collected


def _lint(req: Request, io: Streams) -> tuple[Result, engine.Policy]:
    if not req.paths and not charts(req) and req.helmfile is None:
        raise LintError(
            "nothing to lint: give files, directories, - for stdin, --chart DIR or --helmfile FILE"
        )
    policy = _policy(req)
    known = baseline.read(req.baseline) if req.baseline else None
    collected = _gather(req, io.stdin)
    for notice in collected.notices:
        print(f"note: {notice}", file=io.stderr)
    result = engine.lint(collected.sources, policy, collected.errors)
    if known is not None:
        result = baseline.apply(result, known)
    return result, policy


def exit_code(result: Result, fail_on: Severity) -> int:
    if result.errors or (result.objects == 0 and result.files == 0):
        return EXIT_USAGE
    worst = result.worst()
    return EXIT_FINDINGS if worst is not None and worst >= fail_on else EXIT_CLEAN


def run(req: Request, io: Streams | None = None) -> int:
    io = io or Streams(sys.stdin.buffer, sys.stdout, sys.stderr)
    # A lint run builds ~100k small containers and frees them all at exit; the cyclic collector
    # would rescan them over and over (measured: load time x2 on 2,000 objects). Refcounting
    # still frees everything; only cycles wait until the run ends.
    gc.disable()
    try:
        return _run(req, io)
    finally:
        gc.enable()


def _run(req: Request, io: Streams) -> int:
    try:
        if req.output not in FORMATS:
            raise LintError(f"-o {req.output}: expected one of {', '.join(FORMATS)}")
        result, policy = _lint(req, io)
    except LintError as err:
        print(f"error: {err}", file=io.stderr)
        return EXIT_USAGE
    for error in result.errors:
        print(f"{error.source}:{error.line}:{error.column}: error: {error.message}", file=io.stderr)
    if result.objects == 0 and result.files == 0 and not result.errors:
        print("error: no Kubernetes objects or Dockerfiles found", file=io.stderr)
    if req.write_baseline is not None:
        return _write_baseline(req.write_baseline, result, io)
    try:
        io.stdout.write(render(result, req.output))
        io.stdout.flush()
    except BrokenPipeError:  # `kbp lint ... | head`: the reader has what it wanted
        return exit_code(result, policy.fail_on)
    print(summary(result), file=io.stderr)
    return exit_code(result, policy.fail_on)


def _write_baseline(path: Path, result: Result, io: Streams) -> int:
    try:
        path.write_text(baseline.dump(result), encoding="utf-8")
    except OSError as err:
        print(f"error: {path}: cannot write baseline: {err.strerror}", file=io.stderr)
        return EXIT_USAGE
    print(f"wrote {len(result.findings)} findings to baseline {path}", file=io.stderr)
    return EXIT_USAGE if result.errors else EXIT_CLEAN
