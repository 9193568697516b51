"""Label selectors in kubectl's grammar, matched against cluster labels."""

from __future__ import annotations

import pytest

from kbp.fleet import FleetFileError, selectors

PROD_EU = {"env": "prod", "region": "eu"}


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        pytest.param("", PROD_EU, True, id="empty-matches-all"),
        pytest.param("env=prod", PROD_EU, True, id="equals"),
        pytest.param("env==prod", PROD_EU, True, id="double-equals"),
        pytest.param("env=dev", PROD_EU, False, id="equals-other"),
        pytest.param("env!=dev", PROD_EU, True, id="not-equals"),
        pytest.param("tier!=canary", PROD_EU, True, id="not-equals-missing-label"),
        pytest.param("env in (dev, prod)", PROD_EU, True, id="in"),
        pytest.param("env notin (dev,staging)", PROD_EU, True, id="notin"),
        pytest.param("region notin (eu)", PROD_EU, False, id="notin-hit"),
        pytest.param("region", PROD_EU, True, id="exists"),
        pytest.param("!canary", PROD_EU, True, id="does-not-exist"),
        pytest.param("!region", PROD_EU, False, id="does-not-exist-hit"),
        pytest.param("env=prod,region in (us,ap)", PROD_EU, False, id="and"),
        pytest.param("env in (prod),region=eu,!legacy", PROD_EU, True, id="and-all"),
    ],
)
def test_selector_matches_labels_as_kubectl_does(text: str, labels: dict[str, str], expected: bool) -> None:
    assert selectors.parse(text).matches(labels) is expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("=prod", id="no-key"),
        pytest.param("env in ()", id="empty-set"),
        pytest.param("env in (a b)", id="space-in-value"),
        pytest.param("env ~ prod", id="unknown-operator"),
        pytest.param("env=pr od", id="space-in-equality"),
    ],
)
def test_a_bad_selector_is_an_error_naming_the_part(text: str) -> None:
    with pytest.raises(FleetFileError, match="is not a label requirement"):
        selectors.parse(text)
