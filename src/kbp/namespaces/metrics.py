"""The reaper's Prometheus counters, in a registry of their own (one per reaper, so tests and loops
never collide in the process-wide default registry)."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, write_to_textfile
from prometheus_client.exposition import generate_latest


class ReaperMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.passes = Counter("kbp_reaper_passes", "Reap passes run.", registry=self.registry)
        self.seen = Counter(
            "kbp_reaper_namespaces_seen", "kbp-labelled namespaces listed.", registry=self.registry
        )
        self.warned = Counter(
            "kbp_reaper_namespaces_warned", "Namespaces warned (Event + annotation).", registry=self.registry
        )
        self.deleted = Counter("kbp_reaper_namespaces_deleted", "Namespaces deleted.", registry=self.registry)
        self.skipped = Counter(
            "kbp_reaper_namespaces_skipped",
            "Namespaces left alone, by reason (protected, terminating, invalid-ttl, capped, dry-run, ...).",
            ["reason"],
            registry=self.registry,
        )
        self.errors = Counter(
            "kbp_reaper_errors", "API calls that failed during a pass.", registry=self.registry
        )

    def exposition(self) -> str:
        return generate_latest(self.registry).decode()

    def write(self, path: Path) -> None:
        """node-exporter's textfile format, written atomically (a temp file, then a rename)."""
        write_to_textfile(str(path), self.registry)
