"""The fleet file: schema-checked, defaults filled in, wrong keys and dead selectors named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kbp.fleet import FleetFileError, inventory

REPO_FLEET = Path(__file__).parents[3] / "deploy" / "fleet.yaml"


def fleet_doc(**top: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "apiVersion": "kbp.dev/v1",
        "kind": "Fleet",
        "services": {"environment": "dev"},
        "journal": {"tag": "v1.0.0-abcdef01", "values": {"api": {"replicas": 2, "port": 8000}}},
        "clusters": [
            {"name": "a", "kubeconfig": "a.kubeconfig", "labels": {"env": "dev", "canary": "true"}},
            {
                "name": "b",
                "kubeconfig": "/abs/b.kubeconfig",
                "labels": {"env": "prod"},
                "journal": {"env": "prod", "values": {"api": {"replicas": 3}}},
            },
        ],
    }
    doc.update(top)
    return doc


def write(tmp_path: Path, doc: Any) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_the_repository_fleet_file_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KBP_STATE", "/state")
    fleet = inventory.load(REPO_FLEET)
    assert [c.name for c in fleet.clusters] == ["dev-canary", "dev-eu", "prod-eu"]
    assert fleet.clusters[0].kubeconfig == Path("/state/clusters/dev-canary/admin.kubeconfig")
    assert [w.name for w in fleet.waves] == ["canary", "dev", "prod"]


def test_defaults_fill_in_and_per_cluster_values_merge_over_the_fleets(tmp_path: Path) -> None:
    fleet = inventory.load(write(tmp_path, fleet_doc()))
    a, b = fleet.clusters
    assert a.kubeconfig == tmp_path / "a.kubeconfig", "relative to the fleet file"
    assert b.kubeconfig == Path("/abs/b.kubeconfig")
    assert a.services == inventory.Services(tmp_path / "cluster-services/helmfile.yaml", "dev")
    assert a.journal is not None
    assert b.journal is not None
    assert (a.journal.env, b.journal.env) == ("dev", "prod")
    assert a.journal.values == {"api": {"replicas": 2, "port": 8000}}
    assert b.journal.values == {"api": {"replicas": 3, "port": 8000}}


def test_paths_are_absolute_even_from_a_relative_fleet_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, fleet_doc())
    monkeypatch.chdir(tmp_path)
    a = inventory.load(Path("fleet.yaml")).clusters[0]
    assert a.kubeconfig == tmp_path / "a.kubeconfig"
    assert a.services is not None
    assert a.services.file == tmp_path / "cluster-services/helmfile.yaml"


def test_select_picks_by_labels_in_file_order(tmp_path: Path) -> None:
    fleet = inventory.load(write(tmp_path, fleet_doc()))
    assert [c.name for c in fleet.select("env in (dev,prod)")] == ["a", "b"]
    assert [c.name for c in fleet.select("env=prod")] == ["b"]


def test_a_selector_that_picks_nothing_is_an_error_naming_it(tmp_path: Path) -> None:
    fleet = inventory.load(write(tmp_path, fleet_doc()))
    with pytest.raises(FleetFileError, match='selector "env=staging" matches no cluster'):
        fleet.select("env=staging")


def test_a_wave_whose_selector_matches_nothing_is_an_error_naming_it(tmp_path: Path) -> None:
    doc = fleet_doc(
        waves=[{"name": "canary", "selector": "canary=true"}, {"name": "qa", "selector": "env=qa"}]
    )
    with pytest.raises(FleetFileError, match='wave "qa": selector "env=qa" matches no cluster'):
        inventory.load(write(tmp_path, doc))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"cluster": {"kubeconfg": "x"}}, "unknown field `kubeconfg`", id="unknown-cluster-key"),
        pytest.param({"top": {"wavez": []}}, "unknown field `wavez`", id="unknown-top-key"),
        pytest.param({"journal": {"valuez": {}}}, "unknown field `valuez`", id="unknown-journal-key"),
        pytest.param({"cluster": {"name": "Prod_1"}}, "clusters[0].name", id="bad-name"),
        pytest.param({"cluster": {"labels": {"env": "a b"}}}, "label env='a b'", id="bad-label-value"),
        pytest.param({"top": {"kind": "Fleets"}}, "kind", id="wrong-kind"),
        pytest.param({"dup": True}, 'cluster "a" is listed twice', id="duplicate"),
        pytest.param({"journal": {"tag": None}}, "journal.tag is not set", id="no-pin"),
    ],
)
def test_a_bad_fleet_file_is_an_error_naming_what(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    doc = fleet_doc()
    doc["clusters"][0].update(change.get("cluster", {}))
    doc.update(change.get("top", {}))
    if "journal" in change:
        doc["journal"] = {**doc["journal"], **change["journal"]}
        doc["journal"] = {k: v for k, v in doc["journal"].items() if v is not None}
    if change.get("dup"):
        doc["clusters"][1]["name"] = "a"
    with pytest.raises(FleetFileError) as err:
        inventory.load(write(tmp_path, doc))
    assert message in str(err.value)
    assert str(tmp_path / "fleet.yaml") in str(err.value) or "cluster" in str(err.value)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(FleetFileError, match="cannot read the fleet file"):
        inventory.load(tmp_path / "nope.yaml")


def test_the_published_json_schema_is_the_one_kbp_validates_with() -> None:
    import json  # noqa: PLC0415

    import msgspec  # noqa: PLC0415

    published = json.loads((REPO_FLEET.parent / "fleet.schema.json").read_text())
    assert published == msgspec.json.schema(inventory.FleetConfig), (
        "regenerate deploy/fleet.schema.json from kbp.fleet.inventory.FleetConfig"
    )
