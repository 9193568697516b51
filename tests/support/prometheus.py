"""A real Prometheus without the Prometheus Operator, scraping what a ServiceMonitor selects.

The operator cannot run here (its Prometheus and config-reloader images come from a registry this
machine cannot reach), so `scrape_config` writes the job the operator generates for a
ServiceMonitor: endpointslice discovery in its namespaces, kept by the Service's labels and the
port name, with the operator's target labels (namespace, service, pod, container, endpoint, job).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from kbp.ports import free_ports
from support.observability import bin_dir, serving


def _sanitize(label: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", label)


def scrape_config(monitor: dict[str, Any], kubeconfig: Path) -> dict[str, Any]:
    """One ServiceMonitor endpoint as the scrape job prometheus-operator renders for it."""
    meta, spec = monitor["metadata"], monitor["spec"]
    [endpoint] = spec["endpoints"]
    namespaces = spec.get("namespaceSelector", {}).get("matchNames") or [meta.get("namespace", "default")]
    keep: list[dict[str, Any]] = []
    for key, value in spec["selector"].get("matchLabels", {}).items():
        name = _sanitize(key)
        sources = [
            f"__meta_kubernetes_service_label_{name}",
            f"__meta_kubernetes_service_labelpresent_{name}",
        ]
        keep.append({"action": "keep", "source_labels": sources, "regex": f"({re.escape(str(value))});true"})
    keep.append(
        {
            "action": "keep",
            "source_labels": ["__meta_kubernetes_endpointslice_port_name"],
            "regex": endpoint["port"],
        }
    )

    def copy(source: str, target: str) -> dict[str, Any]:
        return {"source_labels": [source], "target_label": target}

    return {
        "job_name": f"serviceMonitor/{namespaces[0]}/{meta['name']}/0",
        "metrics_path": endpoint.get("path", "/metrics"),
        "scrape_interval": endpoint.get("interval", "30s"),
        "scrape_timeout": endpoint.get("scrapeTimeout", "10s"),
        "kubernetes_sd_configs": [
            {"role": "endpointslice", "kubeconfig_file": str(kubeconfig), "namespaces": {"names": namespaces}}
        ],
        "relabel_configs": [
            *keep,
            copy("__meta_kubernetes_namespace", "namespace"),
            copy("__meta_kubernetes_service_name", "service"),
            copy("__meta_kubernetes_pod_name", "pod"),
            copy("__meta_kubernetes_pod_container_name", "container"),
            copy("__meta_kubernetes_service_name", "job"),
            {"target_label": "endpoint", "replacement": endpoint["port"]},
        ],
    }


@dataclass
class Prometheus:
    url: str
    process: subprocess.Popen[bytes]

    def api(self, path: str, **params: str) -> Any:
        resp = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=10)
        resp.raise_for_status()
        body = resp.json()
        assert body["status"] == "success", body
        return body["data"]


@contextmanager
def prometheus(
    data: Path,
    scrape: list[dict[str, Any]],
    rules: dict[str, Any] | None = None,
    *,
    prefix: Sequence[str] = (),
    host: str = "127.0.0.1",
) -> Iterator[Prometheus]:
    """Prometheus from the observability build with these jobs and rule groups, evaluated every 1s.

    `prefix` runs it through another command (the real node's network namespace), listening on
    every address there and reached at `host`.
    """
    [port] = free_ports(1)
    config: dict[str, Any] = {"global": {"evaluation_interval": "1s"}, "scrape_configs": scrape}
    if rules is not None:
        (data / "rules.yaml").write_text(yaml.safe_dump(rules))
        config["rule_files"] = [str(data / "rules.yaml")]
    (data / "prometheus.yml").write_text(yaml.safe_dump(config))
    argv = [
        *prefix,
        str(bin_dir() / "prometheus"),
        f"--config.file={data / 'prometheus.yml'}",
        f"--storage.tsdb.path={data / 'tsdb'}",
        f"--web.listen-address={'0.0.0.0' if prefix else '127.0.0.1'}:{port}",
    ]
    url = f"http://{host}:{port}"
    with serving(argv, f"{url}/-/ready", data / "prometheus.log", 60) as process:
        yield Prometheus(url, process)
