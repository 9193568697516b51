"""The lint benchmark's corpus: realistic apps (workload, Services, ConfigMap, Ingress, HPA, PDB,
ServiceAccount, Secret, NetworkPolicy) with a seeded share of best-practice violations.

    generate(Path("/tmp/corpus"), files=231)   # -> 2,011 objects
"""

from __future__ import annotations

import random
from pathlib import Path

import yaml


def _labels(app: str, team: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": app,
        "app.kubernetes.io/instance": team,
        "app.kubernetes.io/part-of": team,
    }


def _container(app: str, rng: random.Random) -> dict[str, object]:
    tag = rng.choices(["latest", "", "v1.4.2-9f8e7d6", "1.27", "v2.0.0-abc1234"], [6, 3, 70, 8, 13])[0]
    c: dict[str, object] = {
        "name": app,
        "image": f"ghcr.io/example/{app}" + (f":{tag}" if tag else ""),
        "ports": [{"name": "http", "containerPort": 8080}],
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8080}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
        "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True, "runAsUser": 10001},
        "envFrom": [{"configMapRef": {"name": f"{app}-env-v{rng.randint(1, 9)}"}}],
        "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}],
    }
    if rng.random() < 0.12:
        del c["livenessProbe"], c["readinessProbe"]
    if rng.random() < 0.10:
        c["resources"] = {"requests": {"cpu": "100m"}}
    if rng.random() < 0.10:
        c["env"] = [
            {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": f"{app}-db", "key": "password"}}}
        ]
    if rng.random() < 0.03:
        c["securityContext"] = {"privileged": True}
    return c


def _workload(kind: str, app: str, team: str, rng: random.Random) -> dict[str, object]:
    labels = _labels(app, team)
    pod_labels = dict(labels) if rng.random() > 0.03 else {**labels, "app.kubernetes.io/name": app + "-x"}
    config = f"{app}-config" if rng.random() < 0.3 else f"{app}-config-v{rng.randint(1, 5)}"
    spec: dict[str, object] = {
        "replicas": rng.choices([1, 2, 3], [10, 60, 30])[0],
        "selector": {"matchLabels": labels},
        "template": {
            "metadata": {"labels": pod_labels},
            "spec": {
                "serviceAccountName": app,
                "containers": [_container(app, rng)],
                "volumes": [{"name": "config", "configMap": {"name": config}}],
            },
        },
    }
    if kind == "StatefulSet":
        spec["serviceName"] = f"{app}-headless"
        spec["volumeClaimTemplates"] = [
            {
                "metadata": {"name": "data"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
            }
        ]
    meta = {"name": app, "namespace": team, "labels": labels}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec}


def _meta(name: str, app: str, team: str) -> dict[str, object]:
    return {"name": name, "namespace": team, "labels": _labels(app, team)}


def _service(name: str, app: str, team: str, *, headless: bool = False) -> dict[str, object]:
    spec: dict[str, object] = {
        "selector": _labels(app, team),
        "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
    }
    if headless:
        spec["clusterIP"] = "None"
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(name, app, team), "spec": spec}


def _obj(api_version: str, kind: str, meta: dict[str, object], **fields: object) -> dict[str, object]:
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **fields}


def _ingress(app: str, team: str, rng: random.Random) -> dict[str, object]:
    tls = [{"hosts": [f"{app}.example.com"], "secretName": f"{app}-tls"}] if rng.random() > 0.1 else []
    backend = {"service": {"name": app if rng.random() > 0.04 else app + "-gone", "port": {"number": 80}}}
    paths = [{"path": "/", "pathType": "Prefix", "backend": backend}]
    rule = {"host": f"{app}.example.com", "http": {"paths": paths}}
    spec = {"ingressClassName": "nginx", "tls": tls, "rules": [rule]}
    return _obj("networking.k8s.io/v1", "Ingress", _meta(app, app, team), spec=spec)


def _companions(app: str, team: str, kind: str, rng: random.Random) -> list[dict[str, object]]:
    """HPA (most apps), PDB, ServiceAccount, Secret and NetworkPolicy of one app."""
    meta, selector = _meta(app, app, team), {"matchLabels": _labels(app, team)}
    docs = []
    if rng.random() < 0.8:  # the rest rely on spec.replicas
        target = {"apiVersion": "apps/v1", "kind": kind, "name": app}
        hpa = {"scaleTargetRef": target, "minReplicas": rng.choice([1, 2, 2, 3]), "maxReplicas": 6}
        docs.append(_obj("autoscaling/v2", "HorizontalPodAutoscaler", meta, spec=hpa))
    docs.append(
        _obj("policy/v1", "PodDisruptionBudget", meta, spec={"minAvailable": 1, "selector": selector})
    )
    docs.append(_obj("v1", "ServiceAccount", meta))
    filler = {"password": "bm90LWEtcmVhbC1zZWNyZXQ="}  # base64 "not-a-real-secret"
    docs.append(_obj("v1", "Secret", _meta(f"{app}-db", app, team), data=filler))
    netpol = {"podSelector": selector, "policyTypes": ["Ingress"]}
    docs.append(_obj("networking.k8s.io/v1", "NetworkPolicy", meta, spec=netpol))
    return docs


def _web_app(app: str, team: str, rng: random.Random) -> list[dict[str, object]]:
    kind = "StatefulSet" if rng.random() < 0.15 else "Deployment"
    docs = [_workload(kind, app, team, rng), _service(app, app, team)]
    if kind == "StatefulSet":
        docs.append(_service(f"{app}-headless", app, team, headless=True))
    data = {"LOG_LEVEL": "info", "PAGE_SIZE": "10"}
    if rng.random() < 0.05:
        data["API_TOKEN"] = "s3cr3t-value"
    docs.append(_obj("v1", "ConfigMap", _meta(f"{app}-config-v1", app, team), data=data))
    docs.append(_ingress(app, team, rng))
    return docs + _companions(app, team, kind, rng)


def _namespace(team: str) -> list[dict[str, object]]:
    quota = {"hard": {"requests.cpu": "20", "requests.memory": "40Gi"}}
    defaults = {"limits": [{"type": "Container", "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": team}},
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "quota", "namespace": team},
            "spec": quota,
        },
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "defaults", "namespace": team},
            "spec": defaults,
        },
    ]


def generate(root: Path, files: int, seed: int = 4) -> int:
    """Write the corpus; return the number of objects."""
    rng = random.Random(seed)
    teams = [f"team-{i:02d}" for i in range(max(1, files // 23))]
    objects = 0
    for index in range(files):
        team = teams[index % len(teams)]
        if index < len(teams):
            docs, name = _namespace(team), "namespace.yaml"
        else:
            docs, name = _web_app(f"svc-{index:03d}", team, rng), "app.yaml"
        path = root / team / f"{index:03d}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
        objects += len(docs)
    return objects
