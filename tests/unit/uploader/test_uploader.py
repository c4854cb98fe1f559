"""The uploader's decisions per message: ack, retry with a wait, keep, or park with a reason."""

from __future__ import annotations

import json

import pytest

from leadloop.graph import GraphAuthError, GraphPermanentError, GraphRetryableError, GraphThrottledError
from leadloop.observability import metrics
from leadloop.uploader.consumer import consume
from leadloop.uploader.service import RESERVE_SECONDS
from tests.support.context import FakeContext

from .fakes import Rig, message, record, sha


def run(rig: Rig, records, *, time_left: float = 100.0, **deps) -> set[str]:
    answer = consume({"Records": records}, FakeContext(), rig.deps(**deps), time_left=lambda: time_left)
    return {f["itemIdentifier"] for f in answer["batchItemFailures"]}


def throttled(wait: float = 120.0) -> GraphThrottledError:
    return GraphThrottledError("User request limit reached", retry_after=wait, code=80003, http_status=400)


def test_rows_of_a_batch_go_out_in_one_call_and_every_message_is_acknowledged():
    rig = Rig()
    records = [record(f"m{i}", message(rows=[[sha(str(i)), ""]])) for i in range(50)]
    assert run(rig, records) == set()
    [(_, path, form)] = rig.graph.calls
    assert path == "111/users" and len(json.loads(form["payload"])["data"]) == 50
    assert rig.hider.hidden == {} and rig.dlq.texts == []


def test_an_unreadable_message_is_parked_with_its_reason_and_the_rest_still_upload():
    rig = Rig()
    records = [
        record("bad", "{not json"),
        record("raw", message(rows=[["mary@example.com", ""]])),
        record("ok", message()),
    ]
    assert run(rig, records) == set()
    assert [body for body, _ in rig.dlq.texts] == ["{not json", json.dumps(message(rows=[["mary@example.com", ""]]))]
    assert all("unreadable audience message" in reason for _, reason in rig.dlq.texts)
    assert not any("mary" in reason for _, reason in rig.dlq.texts)
    assert len(rig.graph.calls) == 1


def test_a_locked_audience_waits_without_a_graph_call():
    rig = Rig()
    rig.locks.held["111"] = int(rig.now) + 3600
    records = [record("locked", message("111")), record("free", message("222"))]
    assert run(rig, records) == {"locked"}
    assert rig.graph.paths() == ["222/users"]
    assert 30 <= rig.hider.hidden["rh-locked"] <= 300


def test_an_expired_lock_does_not_hold_uploads():
    rig = Rig()
    rig.locks.held["111"] = int(rig.now) - 1
    assert run(rig, [record("m", message("111"))]) == set()


def test_throttling_keeps_the_messages_for_metas_wait_and_stops_calling():
    rig = Rig()
    rig.graph.script = [throttled(wait=240.0)]
    records = [record("a1", message("111")), record("b1", message("222")), record("c1", message("333"))]
    assert run(rig, records) == {"a1", "b1", "c1"}
    assert len(rig.graph.calls) == 1  # no hammering
    assert rig.hider.hidden == {"rh-a1": 240, "rh-b1": 240, "rh-c1": 240}
    assert rig.dlq.texts == []


def test_an_ad_account_throttle_pauses_only_that_accounts_audiences():
    rig = Rig()
    rig.graph.script = [throttled(wait=300.0)]
    records = [
        record("a1", message("111", account_id="9001")),
        record("a2", message("112", account_id="9001")),
        record("b1", message("222", account_id="9002")),
    ]
    assert run(rig, records) == {"a1", "a2"}
    assert rig.graph.paths() == ["111/users", "222/users"]
    assert rig.hider.hidden == {"rh-a1": 300, "rh-a2": 300}


def test_an_app_wide_throttle_or_an_unnamed_account_pauses_everything():
    for error, accounts in [
        (GraphThrottledError("Application request limit reached", retry_after=60, code=4, http_status=400), "9001"),
        (throttled(wait=60.0), None),
    ]:
        rig = Rig()
        rig.graph.script = [error]
        extra = {"account_id": accounts} if accounts else {}
        records = [record("a", message("111", **extra)), record("b", message("222", account_id="9002"))]
        assert run(rig, records) == {"a", "b"}
        assert len(rig.graph.calls) == 1


def test_a_throttle_wait_is_capped():
    rig = Rig()
    rig.graph.script = [throttled(wait=100_000.0)]
    run(rig, [record("a", message())])
    assert rig.hider.hidden == {"rh-a": 3600}


def test_a_retryable_error_fails_only_that_calls_messages_with_backoff():
    rig = Rig()
    rig.graph.script = [GraphRetryableError("Service temporarily unavailable", code=2, http_status=503), None]
    records = [record("a", message("111"), receive_count=3), record("b", message("222"))]
    assert run(rig, records) == {"a"}
    assert 30 * 4 * 0.8 <= rig.hider.hidden["rh-a"] <= 30 * 4 * 1.2
    assert len(rig.graph.calls) == 2


def test_a_broken_token_is_loud_keeps_everything_and_never_dead_letters(caplog: pytest.LogCaptureFixture):
    rig = Rig()
    rig.graph.script = [GraphAuthError("Error validating access token", code=190, subcode=463, http_status=400)]
    records = [record("a", message("111")), record("b", message("222"))]
    assert run(rig, records) == {"a", "b"}
    assert len(rig.graph.calls) == 1
    assert rig.hider.hidden == {"rh-a": 1800, "rh-b": 1800}
    assert rig.dlq.texts == []
    assert any(r.levelname == "ERROR" and "token" in r.getMessage() for r in caplog.records)
    assert "GraphAuthFailure" in json.dumps(metrics.serialize_metric_set())
    metrics.clear_metrics()


def test_a_permanent_error_parks_the_message_with_audience_code_subcode_and_metas_message():
    rig = Rig()
    rig.graph.script = [
        GraphPermanentError(
            "Audience was created from another data source", code=2650, subcode=1870145, http_status=400
        )
    ]
    body = message("111", rows=[[sha("a"), sha("p")]])
    assert run(rig, [record("a", body)]) == set()
    [(parked, reason)] = rig.dlq.texts
    assert json.loads(parked) == body
    assert "audience 111" in reason and "code=2650" in reason and "subcode=1870145" in reason
    assert "another data source" in reason and sha("a") not in reason


def test_a_message_split_over_a_failed_and_a_sent_call_is_retried():
    rig = Rig()
    rig.graph.script = [None, GraphRetryableError("boom", code=1, http_status=500)]
    records = [
        record("m1", message(rows=[[sha(str(j)), ""] for j in range(3)])),
        record("m2", message(rows=[[sha("z"), ""]])),
    ]
    assert run(rig, records, max_rows=2) == {"m1", "m2"}
    sessions = [json.loads(form["session"]) for _, _, form in rig.graph.calls]
    assert [s["batch_seq"] for s in sessions] == [1, 2] and sessions[1]["last_batch_flag"] is True


def test_retries_exhausted_park_the_message_with_the_last_reason():
    rig = Rig()
    rig.graph.script = [GraphRetryableError("unknown", code=1, http_status=500)]
    assert run(rig, [record("a", message(), receive_count=8)]) == set()
    [(_, reason)] = rig.dlq.texts
    assert reason.startswith("gave up after 8 tries") and "code=1" in reason


def test_a_kept_message_near_the_redrive_limit_is_requeued_fresh_not_dead_lettered():
    rig = Rig()
    rig.graph.script = [throttled(wait=120.0)]
    body = message()
    assert run(rig, [record("a", body, receive_count=8)]) == set()
    [copy] = rig.requeue.sent
    assert json.loads(copy.body) == body and copy.delay_seconds == 120
    assert rig.dlq.texts == []


def test_no_call_starts_when_the_time_budget_is_spent():
    rig = Rig()
    assert run(rig, [record("a", message())], time_left=RESERVE_SECONDS + 4) == {"a"}
    assert rig.graph.calls == []
    assert rig.hider.hidden == {"rh-a": 5}


def test_metrics_carry_the_audience_id_and_counts_only(capsys: pytest.CaptureFixture[str]):
    rig = Rig()
    run(rig, [record("a", message("111", rows=[[sha("a"), ""], [sha("b"), ""]]))])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    emitted = {
        (m["Name"], line.get("audience_id")): line[m["Name"]]
        for line in lines
        if "_aws" in line
        for d in line["_aws"]["CloudWatchMetrics"]
        for m in d["Metrics"]
    }
    assert emitted[("AudienceRowsSent", "111")] == [2.0]
    assert emitted[("AudienceRowsReceived", "111")] == [2.0]
    assert emitted[("AudienceRowsInvalid", "111")] == [0.0]
    assert sha("a") not in json.dumps(lines)


def test_unreadable_locks_hold_the_batch_back_without_a_graph_call():
    from leadloop.state.errors import StateError

    class BrokenLocks:
        def held_until(self, audience_ids, now):
            raise StateError("reading audience locks failed: ClientError")

    rig = Rig()
    assert run(rig, [record("a", message())], locks=BrokenLocks()) == {"a"}
    assert rig.graph.calls == [] and rig.dlq.texts == [] and rig.hider.hidden["rh-a"] > 0


def test_an_auth_failure_stops_later_calls_for_other_audiences_too():
    rig = Rig()
    rig.graph.script = [None, GraphAuthError("token", code=190, http_status=400)]
    records = [record("a", message("111")), record("b", message("222")), record("c", message("333"))]
    assert run(rig, records) == {"b", "c"}
    assert rig.graph.paths() == ["111/users", "222/users"]
