"""meta: what each Graph answer means for a replace, and when a batch is retried."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from leadloop.audience.ldu import LDU_ON
from leadloop.graph import (
    GraphAuthError,
    GraphError,
    GraphPermanentError,
    GraphRetryableError,
    GraphThrottledError,
    GraphTransportError,
)
from leadloop.replace import meta
from leadloop.replace.errors import (
    AudienceBusy,
    AudienceNotReplaceable,
    GraphAccessBroken,
    GraphUnavailable,
    ReplaceFailed,
)
from leadloop.replace.meta import AudienceState, ReplaceBatchResult, Sent
from tests.support.graph import FakeGraph

AUDIENCE = "238000000000001"
SCHEMA = ["EMAIL", "EXTERN_ID"]
ROWS = [["a" * 64, "id-1"], ["", "id-2"]]


def replace_error(subcode: int, cls: type[GraphError] = GraphPermanentError, **kwargs: Any) -> GraphError:
    return cls("replace refused", code=2650, subcode=subcode, http_status=400, **kwargs)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr("leadloop.replace.meta.time.sleep", slept.append)
    return slept


def replace_batch(graph: FakeGraph, batch_seq: int, time_left: Callable[[], float] = lambda: 600.0) -> Sent:
    return meta.send_replace_batch(
        graph,
        AUDIENCE,
        SCHEMA,
        ROWS,
        session_id=77,
        batch_seq=batch_seq,
        last=False,
        estimated_total=20_000,
        time_left=time_left,
    )


# ---------------------------------------------------------------------- classify
@pytest.mark.parametrize(
    ("subcode", "result"),
    [
        (1870158, ReplaceBatchResult.WINDOW_CLOSED),
        (1870159, ReplaceBatchResult.WINDOW_CLOSED),
        (1870147, ReplaceBatchResult.SESSION_LOST),
    ],
)
def test_classify_window_and_session_subcodes(subcode: int, result: ReplaceBatchResult) -> None:
    assert meta.classify(replace_error(subcode), AUDIENCE) is result


@pytest.mark.parametrize(
    ("error", "raised"),
    [
        (replace_error(1870145), AudienceBusy),
        (replace_error(1870144), AudienceNotReplaceable),
        (replace_error(1870148), ReplaceFailed),
        (replace_error(1870148, GraphRetryableError, is_transient=True), ReplaceFailed),
        (replace_error(1870145, GraphRetryableError, is_transient=True), AudienceBusy),
        (replace_error(1234567), ReplaceFailed),
        (GraphAuthError("token expired", code=190, subcode=463, http_status=400), GraphAccessBroken),
        (GraphAuthError("missing permission", code=200, http_status=403), GraphAccessBroken),
        (GraphThrottledError("slow down", retry_after=30.0, code=80003, http_status=400), GraphUnavailable),
        (GraphRetryableError("try again", code=2, http_status=503), GraphUnavailable),
        (GraphRetryableError("unexpected HTTP 500", http_status=500), GraphUnavailable),
        (GraphTransportError("timed out"), GraphUnavailable),
        (GraphPermanentError("bad payload", code=100, http_status=400), ReplaceFailed),
    ],
)
def test_classify_raises_what_ends_or_pauses_the_replace(error: GraphError, raised: type[Exception]) -> None:
    with pytest.raises(raised) as caught:
        meta.classify(error, AUDIENCE)
    assert AUDIENCE in str(caught.value)
    assert f"code={error.code}" in str(caught.value)


# ---------------------------------------------------------------------- audience state
@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ({"code": 414}, 414),
        ({"status": 415}, 415),
        ({"code": "replace_in_progress"}, 414),
        ({"code": " Replace_Error "}, 415),
        ({"status": "normal"}, 200),
        ({"code": "471", "description": "flagged"}, 471),
        ({"code": "who knows"}, 0),
        ({"code": None}, 0),
        ({}, 0),
        (None, 0),
        ("414", 0),
    ],
)
def test_status_code(raw: Any, code: int) -> None:
    assert meta.status_code(raw) == code


def state(subtype: str = "CUSTOM", status: int = 200, upper: int = 1000) -> AudienceState:
    return AudienceState(subtype=subtype, status=status, upper_bound=upper, account_id="1")


def test_ensure_replaceable_allows_a_normal_custom_audience() -> None:
    assert meta.ensure_replaceable(AUDIENCE, state()) is True
    assert meta.ensure_replaceable(AUDIENCE, state(subtype="")) is True  # Meta did not say: try
    assert meta.ensure_replaceable(AUDIENCE, state(status=415)) is True  # a failed replace may be run again
    assert meta.ensure_replaceable(AUDIENCE, state(upper=99_999_999)) is True


def test_ensure_replaceable_waits_while_meta_replaces() -> None:
    assert meta.ensure_replaceable(AUDIENCE, state(status=414)) is False


@pytest.mark.parametrize(
    ("audience", "words"),
    [
        (state(subtype="LOOKALIKE"), "LOOKALIKE"),
        (state(subtype="WEBSITE"), "only CUSTOM"),
        (state(status=471), "471"),
        (state(upper=100_000_000), "100M"),
    ],
)
def test_ensure_replaceable_refuses_what_never_may(audience: AudienceState, words: str) -> None:
    with pytest.raises(AudienceNotReplaceable, match=words):
        meta.ensure_replaceable(AUDIENCE, audience)


def test_read_audience() -> None:
    graph = FakeGraph(
        {
            "subtype": "CUSTOM",
            "operation_status": {"code": 414, "description": "replacing"},
            "approximate_count_upper_bound": "123456",
            "account_id": "300",
        }
    )
    assert meta.read_audience(graph, AUDIENCE) == AudienceState("CUSTOM", 414, 123456, "300")
    method, path, params = graph.calls[0]
    assert (method, path) == ("GET", AUDIENCE) and "operation_status" in params["fields"]
    assert meta.read_audience(FakeGraph({"approximate_count_upper_bound": "n/a"}), AUDIENCE) == AudienceState(
        "", 0, 0, ""
    )


# ---------------------------------------------------------------------- replace batches
def test_replace_batch_form_and_counts(sleeps: list[float]) -> None:
    graph = FakeGraph({"num_received": 2, "num_invalid_entries": "1", "session_id": 77})
    assert replace_batch(graph, 3) == Sent(ReplaceBatchResult.SENT, 2, 1)
    method, path, form = graph.calls[0]
    assert (method, path) == ("POST", f"{AUDIENCE}/usersreplace")
    assert form["payload"] == {"schema": SCHEMA, "data": ROWS, "is_raw": True}
    assert form["session"] == {
        "session_id": 77,
        "batch_seq": 3,
        "last_batch_flag": False,
        "estimated_num_total": 20_000,
    }
    assert sleeps == []


def test_batch_one_is_never_retried_on_a_transient_error(sleeps: list[float]) -> None:
    graph = FakeGraph(GraphRetryableError("try again", code=2, http_status=503), {"num_received": 2})
    with pytest.raises(GraphUnavailable):
        replace_batch(graph, 1)
    assert len(graph.calls) == 1 and sleeps == []


def test_later_batches_are_retried_on_a_transient_error(sleeps: list[float]) -> None:
    graph = FakeGraph(GraphRetryableError("try again", code=2, http_status=503), {"num_received": 2})
    assert replace_batch(graph, 2) == Sent(ReplaceBatchResult.SENT, 2, 0)
    assert len(graph.calls) == 2 and graph.calls[0] == graph.calls[1]
    assert sleeps == [1.0]


def test_retries_back_off_then_give_up(sleeps: list[float]) -> None:
    graph = FakeGraph(*[GraphTransportError("timed out")] * 5)
    with pytest.raises(GraphUnavailable):
        replace_batch(graph, 2)
    assert len(graph.calls) == 4 and sleeps == [1.0, 2.0, 4.0]


def test_throttling_waits_as_meta_says_up_to_a_minute(sleeps: list[float]) -> None:
    graph = FakeGraph(
        GraphThrottledError("slow", retry_after=7.0, code=80003),
        GraphThrottledError("slower", retry_after=900.0, code=80003),
        {"num_received": 1},
    )
    assert replace_batch(graph, 5).result is ReplaceBatchResult.SENT
    assert sleeps == [7.0, 60.0]


def test_no_retry_without_time_for_it(sleeps: list[float]) -> None:
    graph = FakeGraph(GraphRetryableError("try again", code=1), {"num_received": 2})
    with pytest.raises(GraphUnavailable):
        replace_batch(graph, 2, time_left=lambda: 30.5)  # one second of wait + 30 s reserve do not fit
    assert len(graph.calls) == 1 and sleeps == []


def test_replace_errors_are_never_retried(sleeps: list[float]) -> None:
    graph = FakeGraph(replace_error(1870145, GraphRetryableError, is_transient=True), {"num_received": 2})
    with pytest.raises(AudienceBusy):
        replace_batch(graph, 2)
    assert len(graph.calls) == 1 and sleeps == []


@pytest.mark.parametrize(
    ("subcode", "result"), [(1870158, ReplaceBatchResult.WINDOW_CLOSED), (1870147, ReplaceBatchResult.SESSION_LOST)]
)
def test_replace_batch_reports_window_and_session_answers(
    sleeps: list[float], subcode: int, result: ReplaceBatchResult
) -> None:
    assert replace_batch(FakeGraph(replace_error(subcode)), 4) == Sent(result)


def test_add_batch_posts_users_and_raises_fatal_errors(sleeps: list[float]) -> None:
    graph = FakeGraph({"num_received": 3, "num_invalid_entries": 1})
    assert meta.send_add_batch(graph, AUDIENCE, SCHEMA, ROWS, lambda: 600.0) == Sent(ReplaceBatchResult.SENT, 3, 1)
    assert graph.calls[0][1] == f"{AUDIENCE}/users" and "session" not in graph.calls[0][2]
    with pytest.raises(AudienceBusy):
        meta.send_add_batch(FakeGraph(replace_error(1870145)), AUDIENCE, SCHEMA, ROWS, lambda: 600.0)
    retried = FakeGraph(GraphTransportError("timed out"), {"num_received": 1})
    assert meta.send_add_batch(retried, AUDIENCE, SCHEMA, ROWS, lambda: 600.0).received == 1
    assert sleeps == [1.0]


def test_session_received() -> None:
    graph = FakeGraph({"data": [{"session_id": "77", "num_received": 10}]}, {"data": []}, {"data": "junk"})
    assert meta.session_received(graph, AUDIENCE, 77) is True
    assert graph.calls[0] == ("GET", f"{AUDIENCE}/sessions", {"session_id": "77"})
    assert meta.session_received(graph, AUDIENCE, 77) is False
    assert meta.session_received(graph, AUDIENCE, 77) is False


def test_payload_sends_ldu_columns_as_meta_wants() -> None:
    schema = ["EMAIL", "DATA_PROCESSING_OPTIONS", "DATA_PROCESSING_OPTIONS_COUNTRY", "DATA_PROCESSING_OPTIONS_STATE"]
    body = json.loads(meta.payload(schema, [["h", LDU_ON, "1", "1000"], ["", "[]", "", ""]]))
    assert body["data"] == [["h", ["LDU"], 1, 1000], ["", [], 0, 0]]


@pytest.mark.parametrize(
    ("error", "raised"),
    [
        (GraphAuthError("token expired", code=190, subcode=463, http_status=400), GraphAccessBroken),
        (GraphPermanentError("unsupported get request", code=100, subcode=33, http_status=400), ReplaceFailed),
        (GraphThrottledError("slow down", retry_after=1.0, code=80003, http_status=400), GraphUnavailable),
    ],
)
def test_reading_the_audience_or_its_sessions_raises_the_replace_errors(
    sleeps: list[float], error: GraphError, raised: type[Exception]
) -> None:
    """The state machine routes on these class names: a raw GraphAuthError would be retried six times."""
    with pytest.raises(raised, match=AUDIENCE):
        meta.read_audience(FakeGraph(*[error] * 4), AUDIENCE)
    with pytest.raises(raised, match=AUDIENCE):
        meta.session_received(FakeGraph(*[error] * 4), AUDIENCE, 77)


def test_reading_the_audience_retries_a_transient_error(sleeps: list[float]) -> None:
    graph = FakeGraph(GraphTransportError("timed out"), {"subtype": "CUSTOM"})
    assert meta.read_audience(graph, AUDIENCE).subtype == "CUSTOM"
    assert len(graph.calls) == 2 and sleeps == [1.0]
