"""kbp dev logs' pure half: the store's query form, the fallback's matching, what a line prints."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from kbp.logs import query as q
from kbp.logs.reading import Store, _interleave

SCOPE = q.Scope("team-a", "journal")
LINE = {
    "_time": "2026-12-07T02:00:00.5Z",
    "_msg": "request",
    "kubernetes.pod_name": "journal-api-7c9-x1",
    "kubernetes.pod_namespace": "team-a",
    "level": "info",
    "method": "GET",
    "route": "/api",
    "status": "200",
    "duration_ms": "1.25",
    "request_id": "abc123",
}


def test_the_scope_is_an_extra_filter_the_query_cannot_widen() -> None:
    params = q.store_params(SCOPE, "status:>=500 or *", since=timedelta(minutes=15), limit=50, follow=False)
    assert json.loads(params["extra_filters"]) == {
        "kubernetes.pod_namespace": "team-a",
        "kubernetes.pod_labels.app.kubernetes.io/instance": "journal",
    }
    assert params["query"].startswith("status:>=500 or *")
    assert params["start"] == "900s"
    assert params["limit"] == "50"


def test_follow_tails_with_history_and_no_pipes() -> None:
    params = q.store_params(SCOPE, "", since=timedelta(seconds=30), limit=50, follow=True)
    assert params["query"] == "*"
    assert params["start_offset"] == "30s"
    assert "limit" not in params
    assert "sort" not in params["query"]  # /tail refuses pipes that need every row


@pytest.mark.parametrize(
    ("value", "message"), [("soon", "not a duration"), ("0s", "more than zero"), ("5", "unit")]
)
def test_a_bad_since_names_the_flag(value: str, message: str) -> None:
    with pytest.raises(q.QueryError, match=f"--since: .*{message}"):
        q.since(value)


def test_a_store_ref_parses_or_names_the_form() -> None:
    assert Store.parse("logging/victoria-logs") == Store("logging", "victoria-logs", "http")
    assert Store.parse("obs/vl:9428").port == "9428"
    with pytest.raises(q.QueryError, match="NAMESPACE/SERVICE"):
        Store.parse("victoria-logs")


def test_a_pod_line_becomes_the_same_fields_as_the_stores() -> None:
    raw = (
        '{"event":"request","level":"info","route":"/api","status":200,"duration_ms":1.25,"request_id":"abc"}'
    )
    entry = q.pod_entry("api-1", "api", f"2026-12-07T02:00:00.123Z {raw}")
    assert entry["_time"] == "2026-12-07T02:00:00.123Z"
    assert entry["_msg"] == "request"
    assert entry["status"] == "200"
    assert entry["kubernetes.pod_name"] == "api-1"
    plain = q.pod_entry("api-1", "api", "2026-12-07T02:00:00.123Z not json at all")
    assert plain["_msg"] == "not json at all"


def test_without_a_store_a_query_is_words_that_must_all_match() -> None:
    assert q.matches(LINE, "*")
    assert q.matches(LINE, "request_id:abc123")
    assert q.matches(LINE, "abc123 /api")
    assert not q.matches(LINE, "abc123 /other")


def test_a_line_prints_time_pod_and_the_journal_fields_in_order() -> None:
    printed = q.render({**LINE, "extra": "x", "kubernetes.container_name": "api"})
    assert (
        printed == "2026-12-07T02:00:00.5Z journal-api-7c9-x1 info GET /api 200 1.25 abc123 request extra=x"
    )


def test_the_stores_answer_must_be_json_objects() -> None:
    assert q.store_entry("  ") is None
    with pytest.raises(q.QueryError, match="not JSON"):
        q.store_entry("<html>")
    with pytest.raises(q.QueryError, match="not an object"):
        q.store_entry("[1]")


def test_following_several_pods_interleaves_and_reraises_a_failure() -> None:
    merged = list(_interleave([iter([{"n": 1}, {"n": 2}]), iter([{"n": 3}])]))
    assert sorted(e["n"] for e in merged) == [1, 2, 3]

    def broken() -> object:
        yield {"n": 1}
        raise RuntimeError("pod went away")

    with pytest.raises(RuntimeError, match="pod went away"):
        list(_interleave([broken()]))  # type: ignore[list-item]
