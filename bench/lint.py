"""Benchmark kbp lint against checkov, kube-score and kubeconform on one generated corpus, in one run.

Generates 2,011 realistic objects (Deployments, Services, ConfigMaps, Ingresses, HPAs, PDBs,
StatefulSets, NetworkPolicies, Secrets, Namespaces...) in 231 multi-document files, with a seeded
share of best-practice violations, then runs each available tool on it and prints wall time and
peak RSS (GNU time), the ratios against kbp, the bars from issues 4 and 24, and a side-by-side count of
objects flagged by kbp and by kube-score per practice.

Tools are looked up, never installed here (install once, outside our lock):
    python3 -m uv venv ~/.cache/kbp/bench-venv && \\
        VIRTUAL_ENV=~/.cache/kbp/bench-venv python3 -m uv pip install checkov
    GOBIN=~/.cache/kbp/bench-bin go install github.com/zegl/kube-score/cmd/kube-score@latest
    GOBIN=~/.cache/kbp/bench-bin go install github.com/yannh/kubeconform/cmd/kubeconform@latest

kubeconform's JSON schemas are generated once into ~/.cache/kbp/kubeconform-schemas from the
OpenAPI document in testenv's k8s.io/kubernetes module (bench/kube_schemas.py): it would download
them from GitHub at run time, which this machine cannot reach.

    .venv/bin/python -m bench.lint [--repeat 7] [--checkov-runs 2] [--skip checkov]  # repo root
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bench import kube_schemas, lint_corpus

CACHE = Path.home() / ".cache" / "kbp"
SCHEMA_CACHE = CACHE / "kubeconform-schemas"
TIME = "/usr/bin/time"
# kube-score check id -> (kbp rules covering the same practice, kinds the check looks at or "" for all)
KUBE_SCORE_MAP: dict[str, tuple[tuple[str, ...], str]] = {
    "container-image-tag": (("image-tag-latest",), ""),
    "container-resources": (("missing-requests", "missing-limits"), ""),
    "pod-probes": (("missing-probes", "identical-probes"), ""),
    "container-ephemeral-storage-request-and-limit": (("missing-ephemeral-storage",), ""),
    # kube-score's check wants both an ingress and an egress policy; kbp's rule is about egress
    "pod-networkpolicy": (("missing-egress-policy",), ""),
    "container-security-context-privileged": (("privileged-container",), ""),
    "container-security-context-user-group-id": (("run-as-root",), ""),
    "deployment-replicas": (("min-replicas",), "Deployment"),
    "horizontalpodautoscaler-replicas": (("min-replicas",), "HorizontalPodAutoscaler"),
    "deployment-pod-selector-labels-match-template-metadata-labels": (("selector-mismatch",), "Deployment"),
    "statefulset-pod-selector-labels-match-template-metadata-labels": (("selector-mismatch",), "StatefulSet"),
    "service-targets-pod": (("service-no-pods",), ""),
    "ingress-targets-service": (("ingress-missing-service",), ""),
    "statefulset-has-servicename": (("statefulset-headless-service",), ""),
    "deployment-targeted-by-hpa-does-not-have-replicas-configured": (("replicas-with-hpa",), "Deployment"),
    "deployment-has-poddisruptionbudget": (("missing-pdb",), "Deployment"),
    "statefulset-has-poddisruptionbudget": (("missing-pdb",), "StatefulSet"),
}


@dataclass(frozen=True)
class Measurement:
    tool: str
    wall_s: float
    cpu_s: float  # user + system: steadier than wall time when other work shares the cores
    peak_mb: float
    exit_code: int
    stdout: str


# --- running ----------------------------------------------------------------------------------


def measure(tool: str, cmd: list[str], env: dict[str, str] | None = None) -> Measurement:
    with tempfile.NamedTemporaryFile("r", suffix=".time") as stats:
        proc = subprocess.run(
            [TIME, "-f", "%e %U %S %M", "-o", stats.name, *cmd],
            capture_output=True,
            text=True,
            env=env if env is not None else dict(os.environ),
            check=False,
        )
        wall, user, system, rss_kb = Path(stats.name).read_text().split()[-4:]
    if not proc.stdout.strip():
        print(f"{tool}: no output (exit {proc.returncode}): {proc.stderr.strip()[-800:]}", file=sys.stderr)
    cpu = float(user) + float(system)
    return Measurement(tool, float(wall), cpu, int(rss_kb) / 1024, proc.returncode, proc.stdout)


def best(runs: list[Measurement]) -> Measurement:
    """Fastest run (least disturbed by other work on the machine, as timeit does) and the peak RSS."""
    fastest = min(runs, key=lambda r: r.wall_s)
    cpu = min(r.cpu_s for r in runs)
    peak = max(r.peak_mb for r in runs)
    return Measurement(fastest.tool, fastest.wall_s, cpu, peak, fastest.exit_code, fastest.stdout)


def measure_interleaved(
    commands: dict[str, list[str]], rounds: dict[str, int], env: dict[str, str]
) -> list[Measurement]:
    """Rounds of every tool, so each sees the same background load; best run of each.

    The order is shuffled every round: a run straight after checkov or kube-score (both keep
    two cores busy) measured up to 0.2 s slower, and a fixed order gave that penalty to one tool.
    """
    runs: dict[str, list[Measurement]] = {tool: [] for tool in commands}
    shuffler = random.Random(4)  # seeded: the same schedule on every invocation
    for round_ in range(max(rounds.values())):
        for tool in shuffler.sample(list(commands), len(commands)):
            if round_ < rounds[tool]:
                print(f"run {round_ + 1}/{rounds[tool]}: {tool}", file=sys.stderr)
                runs[tool].append(measure(tool, commands[tool], env))
    return [best(r) for r in runs.values()]


def tool_commands(corpus: Path, files: list[str], schemas: Path) -> dict[str, list[str]]:
    checkov = str(CACHE / "bench-venv" / "bin" / "checkov")
    bin_dir = CACHE / "bench-bin"
    return {
        "checkov": [checkov, "-d", str(corpus), "--framework", "kubernetes", "-o", "json", "--skip-download"],
        "kube-score": [str(bin_dir / "kube-score"), "score", "-o", "json", *files],
        "kubeconform": [
            str(bin_dir / "kubeconform"),
            "-summary",
            "-output",
            "json",
            "-schema-location",
            f"{schemas}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json",
            str(corpus),
        ],
    }


# --- reporting --------------------------------------------------------------------------------


def kbp_flagged(report: str) -> dict[str, set[tuple[str, str, str]]]:
    flagged: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for item in json.loads(report)["items"]:
        obj = item.get("object", {})
        flagged[item["ruleId"]].add((obj.get("kind", ""), obj.get("namespace", ""), obj.get("name", "")))
    return flagged


def kube_score_flagged(report: str) -> dict[str, set[tuple[str, str, str]]]:
    flagged: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for obj in json.loads(report):
        key = (obj["type_meta"]["kind"], obj["object_meta"].get("namespace", ""), obj["object_meta"]["name"])
        for check in obj.get("checks") or []:
            if not check.get("skipped") and check.get("grade", 10) <= 5:  # 1 critical, 5 warning
                flagged[check["check"]["id"]].add(key)
    return flagged


def print_comparison(
    kbp: dict[str, set[tuple[str, str, str]]], score: dict[str, set[tuple[str, str, str]]]
) -> None:
    print("\nFindings side by side (objects flagged; same practice):")
    print(f"  {'kube-score check':<62} {'kube-score':>10} {'kbp':>6}  kbp rules")
    for check, (rules, kind) in KUBE_SCORE_MAP.items():
        ours = {obj for r in rules for obj in kbp.get(r, set()) if not kind or obj[0] == kind}
        print(f"  {check:<62} {len(score.get(check, set())):>10} {len(ours):>6}  {', '.join(rules)}")
    only_score = sorted(c for c in score if c not in KUBE_SCORE_MAP)
    print("  kube-score only: " + (", ".join(f"{c} ({len(score[c])})" for c in only_score) or "-"))
    mapped = {r for rules, _kind in KUBE_SCORE_MAP.values() for r in rules}
    only_kbp = sorted(r for r in kbp if r not in mapped)
    print("  kbp only: " + (", ".join(f"{r} ({len(kbp[r])})" for r in only_kbp) or "-"))


def print_table(results: list[Measurement], missing: list[str]) -> None:
    base = results[0]
    head = f"{'tool':<12} {'wall s':>8} {'cpu s':>7} {'peak MB':>9} {'exit':>5}"
    print(f"\n{head} {'wall/kbp':>9} {'cpu/kbp':>8} {'mem/kbp':>8}")
    for r in results:
        ratios = (
            f"{r.wall_s / base.wall_s:>8.1f}x {r.cpu_s / base.cpu_s:>7.1f}x {r.peak_mb / base.peak_mb:>7.1f}x"
        )
        print(f"{r.tool:<12} {r.wall_s:>8.2f} {r.cpu_s:>7.2f} {r.peak_mb:>9.1f} {r.exit_code:>5} {ratios}")
    print(f"(best run of each tool, runs interleaved; `{base.tool}` is the baseline of the ratios)")
    if missing:
        print("unavailable: " + ", ".join(missing))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_bars(by_tool: dict[str, Measurement], ours: str) -> None:
    kbp = by_tool[ours]
    print(f"\nBars (issues 4 and 24) for `{ours}`:")
    if "checkov" in by_tool:
        c = by_tool["checkov"]
        speed, memory = c.wall_s / kbp.wall_s, kbp.peak_mb / c.peak_mb
        print(f"  >= 50x faster than checkov:       {speed:7.1f}x  {verdict(speed >= 50)}")
        print(f"  <= 1/10 of checkov's peak memory: {memory:7.3f}   {verdict(memory <= 0.1)}")
    if "kube-score" in by_tool:
        s = by_tool["kube-score"]
        times = f"wall {kbp.wall_s:.2f}s vs {s.wall_s:.2f}s"
        print(f"  no slower than kube-score:        {times}  {verdict(kbp.wall_s <= s.wall_s)}")
        cpu = f"cpu  {kbp.cpu_s:.2f}s vs {s.cpu_s:.2f}s"
        print(f"  (CPU time, for reference):        {cpu}  {verdict(kbp.cpu_s <= s.cpu_s)}")
        peaks = f"peak {kbp.peak_mb:.1f} MB vs {s.peak_mb:.1f} MB"
        print(f"  no more memory than kube-score:   {peaks}  {verdict(kbp.peak_mb <= s.peak_mb)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=231)
    parser.add_argument("--repeat", type=int, default=7, help="runs of each fast tool (the best counts)")
    parser.add_argument("--checkov-runs", type=int, default=2, help="runs of checkov (the best counts)")
    parser.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    parser.add_argument("--skip", action="append", default=[], help="tool to leave out (repeatable)")
    args = parser.parse_args()
    if not Path(TIME).exists():
        sys.exit(f"{TIME} (GNU time) is required")
    corpus = args.keep or Path(tempfile.mkdtemp(prefix="kbp-lint-bench-"))
    try:
        run(corpus, args.files, args.repeat, args.checkov_runs, frozenset(args.skip))
    finally:
        if args.keep is None:
            shutil.rmtree(corpus, ignore_errors=True)


def python_env() -> dict[str, str]:
    """Cache bytecode as a normal install would (the sandbox sets PYTHONDONTWRITEBYTECODE), off the repo."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(CACHE / "pycache")
    return env


def warm_up(commands: dict[str, list[str]], corpus: Path, env: dict[str, str]) -> None:
    """One uncounted run per Python tool on a one-file corpus, so no timed run compiles bytecode."""
    small = corpus.parent / f"{corpus.name}-warmup"
    small.mkdir(exist_ok=True)
    first = next(corpus.rglob("app.yaml"))
    shutil.copy(first, small / "app.yaml")
    for cmd in commands.values():
        if Path(cmd[0]).exists():
            subprocess.run(
                [str(small) if arg == str(corpus) else arg for arg in cmd],
                env=env,
                capture_output=True,
                check=False,
            )
    shutil.rmtree(small, ignore_errors=True)


def unavailable(tool: str, cmd: list[str]) -> str | None:
    """Why a tool cannot run here, or None. kubeconform's schemas are generated here, only for it."""
    if not Path(cmd[0]).exists():
        return f"not installed at {cmd[0]}"
    if tool == "kubeconform":
        try:
            kube_schemas.ensure(SCHEMA_CACHE)
        except (OSError, LookupError, subprocess.CalledProcessError) as err:
            return f"no JSON schemas to validate against: {err}"
    return None


def run(corpus: Path, files: int, repeat: int, checkov_runs: int, skip: frozenset[str]) -> None:
    objects = lint_corpus.generate(corpus, files)
    paths = sorted(str(p) for p in corpus.rglob("*.yaml"))
    print(f"corpus: {objects} objects in {len(paths)} files ({corpus})")
    env = python_env()
    args = ["-o", "json", "--fail-on", "error", str(corpus)]
    ours = {
        "kbp lint": [sys.executable, "-m", "kbp", "lint", *args],
        "kbp.lint -m": [sys.executable, "-m", "kbp.lint", *args],
    }
    schemas = kube_schemas.directory(SCHEMA_CACHE)
    others = {tool: cmd for tool, cmd in tool_commands(corpus, paths, schemas).items() if tool not in skip}
    warm_up({**ours, **{k: v for k, v in others.items() if k == "checkov"}}, corpus, env)
    missing = []
    for tool, cmd in list(others.items()):
        problem = unavailable(tool, cmd)
        if problem:
            missing.append(f"{tool} ({problem})")
            del others[tool]
    commands = {**ours, **others}
    rounds = {tool: checkov_runs if tool == "checkov" else repeat for tool in commands}
    results = measure_interleaved(commands, rounds, env)
    print_table(results, missing)
    by_tool = {r.tool: r for r in results}
    print_bars(by_tool, "kbp lint")
    print_bars(by_tool, "kbp.lint -m")
    if "kube-score" in by_tool and by_tool["kbp lint"].stdout.strip():
        print_comparison(
            kbp_flagged(by_tool["kbp lint"].stdout), kube_score_flagged(by_tool["kube-score"].stdout)
        )


if __name__ == "__main__":
    main()
