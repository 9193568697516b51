"""status, diff and apply: read the file (refusing bad pins first), ask helm and helmfile, decide."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kbp.platform import helmstore, running
from kbp.platform.changes import ReleasePlan, plan_release
from kbp.platform.drift import Deployed, ReleaseStatus, compare
from kbp.platform.releases import ServicesFile, load


@dataclass(frozen=True)
class Services:
    """One file, checked, in one environment."""

    file: Path
    environment: str
    releases: ServicesFile

    @classmethod
    def read(cls, path: Path, environment: str) -> Services:
        """Raises PinError before any tool runs."""
        releases = load(path)
        file = path / "helmfile.yaml" if path.is_dir() else path
        return cls(file, releases.check_environment(environment), releases)


def status(
    services: Services,
    t: running.Target,
    *,
    enabled: set[str] | None = None,
    deployed: dict[str, Deployed] | None = None,
) -> list[ReleaseStatus]:
    """Each release's deployed version against its pin, in install order.

    `enabled` (what `helmfile list` says) depends only on the file and environment, so a caller
    asking many clusters passes it in once; `deployed` may have been read already.
    """
    enabled, deployed = observe(services, t, enabled=enabled, deployed=deployed)
    return [compare(r, deployed.get(r.key), enabled=r.key in enabled) for r in services.releases.releases]


def observe(
    services: Services,
    t: running.Target,
    *,
    enabled: set[str] | None = None,
    deployed: dict[str, Deployed] | None = None,
) -> tuple[set[str], dict[str, Deployed]]:
    """The releases the environment switches on, and those the cluster runs (each unless given):
    `helmfile list` runs while the cluster's Helm releases are read from its API."""
    listing = running.list_enabled(t, services.file, services.environment) if enabled is None else None
    try:
        if deployed is None:
            deployed = helmstore.read(t.kubeconfig, t.context)
        if listing is not None:
            enabled = running.parse_enabled(listing.output())
    finally:
        if listing is not None:
            listing.stop()
    assert enabled is not None
    return enabled, deployed


def plan(services: Services, t: running.Target) -> list[ReleasePlan]:
    """What `apply` would do to each release, with the objects that would change."""
    enabled, deployed = observe(services, t)
    on = [r for r in services.releases.releases if r.key in enabled]
    desired = running.render(t, services.file, services.environment, on)
    plans = []
    for release in services.releases.releases:
        current = deployed.get(release.key)
        live = current.manifest if current and release.key in enabled else ""
        plans.append(
            plan_release(
                release,
                enabled=release.key in enabled,
                deployed=current,
                deployed_manifest=live,
                desired_manifest=desired.get(release.key, ""),
            )
        )
    return plans


def apply(services: Services, t: running.Target, plans: list[ReleasePlan]) -> None:
    """Sync the releases `plans` says differ; the rest are left alone (no new Helm revision)."""
    running.sync(t, services.file, services.environment, [p.release for p in plans if p.changes])
