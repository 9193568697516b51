"""The record of a started cluster (ports, binaries), saved in its state directory as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from kbp.cluster.components import Ports, Spec
from kbp.cluster.layout import Layout


@dataclass(frozen=True)
class Cluster:
    """What callers need to use a running cluster: server URL, kubeconfig, CA, binaries."""

    layout: Layout
    bin_dir: Path
    ports: Ports

    @property
    def spec(self) -> Spec:
        return Spec(self.bin_dir, self.layout, self.ports)

    @property
    def server(self) -> str:
        return self.spec.server

    @property
    def kubeconfig(self) -> Path:
        return self.layout.kubeconfig

    @property
    def ca(self) -> Path:
        return self.layout.cert("ca")

    def save(self) -> None:
        doc = {"bin_dir": str(self.bin_dir), "ports": asdict(self.ports)}
        self.layout.root.mkdir(parents=True, exist_ok=True)
        self.layout.record.write_text(json.dumps(doc, indent=2) + "\n")

    @classmethod
    def load(cls, layout: Layout) -> Cluster | None:
        """The saved record, or None when the directory holds no (readable) cluster."""
        try:
            doc = json.loads(layout.record.read_text())
            return cls(layout, Path(doc["bin_dir"]), Ports(**doc["ports"]))
        except (FileNotFoundError, KeyError, TypeError, ValueError):
            return None
