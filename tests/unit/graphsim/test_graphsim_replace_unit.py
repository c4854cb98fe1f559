"""usersreplace rules without HTTP: every 2650 subcode, staging, processing delay, window, 415, /users block."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import pytest

from leadloop_cli.graphsim.audiences import (
    MULTI_HASHES,
    Payload,
    SessionIn,
    add_members,
    parse_payload,
    render_audience,
)
from leadloop_cli.graphsim.clock import VirtualClock
from leadloop_cli.graphsim.config import SimConfig
from leadloop_cli.graphsim.errors import GraphError
from leadloop_cli.graphsim.models import Audience, UploadSession
from leadloop_cli.graphsim.replace import (
    accept_batch,
    ensure_custom,
    ensure_not_busy,
    is_busy,
    session_view,
    settle,
)
from leadloop_cli.graphsim.state import SimState

T0 = 1_800_000_000
WINDOW = 5_400
SID = "777"


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _payload(schema: object, data: Sequence[object]) -> Payload:
    return parse_payload({"schema": schema, "data": data})


def _rows(*names: str) -> list[list[str]]:
    return [[h(name)] for name in names]


def _session(batch_seq: int, *, last: bool = False, session_id: str = SID) -> SessionIn:
    return SessionIn(session_id=session_id, batch_seq=batch_seq, last_batch_flag=last)


def _audience(*old: str) -> Audience:
    audience = Audience(id="238", account_id="act_1", name="a", time_updated=T0 - 100)
    if old:
        add_members(audience, _payload(["EMAIL"], _rows(*old)))
    return audience


def _batch(
    audience: Audience,
    batch_seq: int,
    names: Sequence[str] = ("x",),
    *,
    last: bool = False,
    session_id: str = SID,
    now: int = T0,
    processing: int = 0,
    window: int = WINDOW,
    schema: object = ("EMAIL",),
    data: Sequence[object] | None = None,
) -> UploadSession:
    payload = _payload(list(schema) if isinstance(schema, tuple) else schema, _rows(*names) if data is None else data)
    return accept_batch(
        audience,
        _session(batch_seq, last=last, session_id=session_id),
        payload,
        now=now,
        window_seconds=window,
        processing_seconds=processing,
    )


def _refused(subcode: int, call: Any, *args: Any, **kwargs: Any) -> GraphError:
    with pytest.raises(GraphError) as caught:
        call(*args, **kwargs)
    error = caught.value
    assert (error.code, error.subcode, error.status) == (2650, subcode, 400), error.message
    assert error.message.startswith("(#2650) Failed to update the custom audience: ")
    assert error.is_transient is (subcode == 1870145)
    return error


def _members(audience: Audience) -> list[list[Any]]:
    return [list(row) for row in audience.members]


# -- happy path ------------------------------------------------------------------------------------


def test_batches_stage_until_the_last_then_members_are_exactly_the_staged_set():
    audience = _audience("old1", "old2")
    record = _batch(audience, 1, ["a", "b"])
    assert audience.operation_status["code"] == 414 and is_busy(audience)
    assert record.stage == "uploading" and record.render()["num_matched"] == "-1"
    assert _members(audience) == _rows("old1", "old2")  # nothing applied while uploading
    _batch(audience, 5, ["c", "a"], now=T0 + 10)  # any number but 1, out of order, duplicate row
    _batch(audience, 5, ["d"], now=T0 + 11)  # a duplicate batch number is fine
    record = _batch(audience, 2, ["e"], now=T0 + 20, data=[[h("e")], ["not-a-hash"]], last=True)
    assert record.batch_seqs == [1, 5, 5, 2] and record.last_batch_flag_seen
    assert (record.num_received, record.num_valid, record.num_invalid_entries) == (7, 6, 1)
    # processing 0: replaced within the closing call, duplicates once, old members gone
    assert _members(audience) == _rows("a", "b", "c", "d", "e")
    assert audience.schema == ["EMAIL"] and audience.data_source_sub_type == MULTI_HASHES
    assert audience.operation_status == {"code": 200, "description": "Normal"}
    assert audience.time_updated == T0 + 20 and not is_busy(audience)
    assert record.render() == {
        "session_id": SID,
        "stage": "processed",
        "num_received": "7",
        "num_matched": "6",
        "num_invalid_entries": "1",
        "progress": "100",
        "start_time": str(T0),
        "end_time": str(T0 + 20),
    }
    view = session_view(record)
    assert view["op"] == "replace" and view["batches"] == [1, 5, 5, 2] and view["last_batch_flag_seen"] is True


def test_replace_schema_replaces_the_old_schema_and_a_one_batch_replace_works():
    audience = _audience()
    add_members(audience, _payload(["EMAIL", "PHONE"], [[h("a"), h("1")]]))
    _batch(audience, 1, schema=("PHONE", "FN"), data=[[h("2"), h("ann")], [h("2"), h("ann")]], last=True)
    assert audience.schema == ["PHONE", "FN"] and _members(audience) == [[h("2"), h("ann")]]


def test_empty_replace_empties_the_audience():
    audience = _audience("old")
    _batch(audience, 1, [], last=True)
    assert audience.members == [] and audience.operation_status["code"] == 200


# -- subcodes ---------------------------------------------------------------------------------------


def test_1870147_only_without_an_accepted_batch_1():
    audience = _audience("old")
    _refused(1870147, _batch, audience, 2)
    assert audience.sessions == [] and audience.operation_status["code"] == 200
    # a refused batch 1 (lock mismatch) does not open the session either
    with pytest.raises(GraphError):
        _batch(audience, 1, schema="EMAIL_SHA256", data=[h("a")])
    _refused(1870147, _batch, audience, 3)
    _batch(audience, 1)
    assert _batch(audience, 3).batch_seqs == [1, 3]


def test_1870145_for_batch_1_twice_and_for_a_second_replace_while_open_or_processing():
    audience = _audience("old")
    _batch(audience, 1, ["a"])
    error = _refused(1870145, _batch, audience, 1, ["b"])
    assert "Audience update in progress" in error.message and SID in error.message
    _refused(1870145, _batch, audience, 1, session_id="888")
    # closed but still processing (60 s): a new replace is still refused
    _batch(audience, 2, ["c"], last=True, now=T0 + 5, processing=60)
    _refused(1870145, _batch, audience, 1, session_id="888", now=T0 + 64, processing=60)
    # done: a new session may start; the refused batches staged nothing
    _batch(audience, 1, ["z"], session_id="888", now=T0 + 65, processing=60)
    assert _members(audience) == _rows("a", "c")
    assert [s.session_id for s in audience.sessions] == [SID, "888"]
    assert audience.sessions[0].batch_seqs == [1, 2]


def test_1870145_for_a_faked_414_but_not_for_415():
    audience = _audience("old")
    audience.operation_status = {"code": 414, "description": "faked"}
    _refused(1870145, _batch, audience, 1)
    _refused(1870145, ensure_not_busy, audience)
    audience.operation_status = {"code": 415, "description": "Replace failed"}
    ensure_not_busy(audience)
    _batch(audience, 1)
    assert audience.operation_status["code"] == 414


def test_1870159_after_the_last_batch_even_once_processed():
    audience = _audience("old")
    _batch(audience, 1, ["a"])
    _batch(audience, 2, ["b"], last=True, now=T0 + 1, processing=30)
    _refused(1870159, _batch, audience, 3, now=T0 + 2, processing=30)  # processing
    _refused(1870159, _batch, audience, 1, now=T0 + 2, processing=30)  # batch 1 again too
    _refused(1870159, _batch, audience, 4, now=T0 + WINDOW + 99, processing=30)  # processed, window long gone
    assert _members(audience) == _rows("a", "b") and audience.sessions[0].batch_seqs == [1, 2]


def test_1870158_after_the_window_and_not_at_its_last_second():
    audience = _audience("old")
    _batch(audience, 1, ["a"])
    _batch(audience, 2, ["b"], now=T0 + WINDOW)  # exactly 90 minutes: still in time
    error = _refused(1870158, _batch, audience, 3, ["c"], now=T0 + WINDOW + 1)
    assert "Replace session timed out" in error.message
    _refused(1870158, _batch, audience, 4, ["c"], last=True, now=T0 + WINDOW + 2)
    # the session closed itself at the window's end with what arrived in time
    assert _members(audience) == _rows("a", "b")
    record = audience.sessions[0]
    assert record.stage == "processed" and record.end_time == T0 + WINDOW and not record.last_batch_flag_seen
    assert audience.operation_status["code"] == 200


def test_window_is_configurable():
    audience = _audience()
    _batch(audience, 1, window=60)
    _refused(1870158, _batch, audience, 2, now=T0 + 61, window=60)


def test_1870144_for_100_million_before_batch_1_only():
    audience = _audience("old")
    audience.size_floor = 100_000_000
    error = _refused(1870144, _batch, audience, 1)
    assert "DFCA size not supported for replace" in error.message
    assert audience.sessions == [] and audience.operation_status["code"] == 200
    audience.size_floor = 99_999_999
    _batch(audience, 1, ["a"])
    audience.size_floor = 500_000_000  # only checked when batch 1 arrives
    _batch(audience, 2, ["b"], last=True)
    assert _members(audience) == _rows("a", "b")


def test_fail_hook_ends_as_415_with_1870148_and_members_unchanged_once():
    audience = _audience("old")
    audience.fail_next_replace = True
    _batch(audience, 1, ["a"])
    error = _refused(1870148, _batch, audience, 2, ["b"], last=True, now=T0 + 3)
    assert "Something went wrong" in error.message
    assert _members(audience) == _rows("old")
    assert audience.operation_status["code"] == 415 and not audience.fail_next_replace
    record = audience.sessions[0]
    assert record.stage == "failed" and record.batch_seqs == [1, 2]  # the closing batch still counted
    assert record.render()["num_matched"] == "0" and record.render()["progress"] == "100"
    assert audience.time_updated == T0 - 100  # content did not change
    settle(audience, T0 + 9999, 0)
    assert audience.operation_status["code"] == 415  # 415 stays on later reads
    # 415 does not block a new replace; the hook was one-shot
    _batch(audience, 1, ["n"], session_id="888", now=T0 + 10, last=True)
    assert _members(audience) == _rows("n") and audience.operation_status["code"] == 200


def test_fail_hook_with_processing_delay_is_415_after_the_delay_without_an_error():
    audience = _audience("old")
    _batch(audience, 1, ["a"], last=True, processing=100)
    audience.fail_next_replace = True  # armed after the close: the next replace to finish fails
    settle(audience, T0 + 99, 100)
    assert audience.operation_status["code"] == 414
    settle(audience, T0 + 100, 100)
    assert audience.operation_status["code"] == 415 and _members(audience) == _rows("old")
    assert audience.sessions[0].end_time == T0 + 100


def test_processing_delay_runs_on_the_virtual_clock():
    audience = _audience("old")
    _batch(audience, 1, ["a"])
    record = _batch(audience, 2, ["b"], last=True, now=T0 + 10, processing=300)
    assert record.stage == "processing" and record.render()["end_time"] == "0"
    assert audience.operation_status["code"] == 414 and _members(audience) == _rows("old")
    settle(audience, T0 + 309, 300)
    assert record.stage == "processing" and _members(audience) == _rows("old")
    settle(audience, T0 + 310, 300)
    assert record.stage == "processed" and _members(audience) == _rows("a", "b")
    assert audience.operation_status["code"] == 200 and audience.time_updated == T0 + 310


def test_an_open_window_closes_itself_lazily_then_processes():
    audience = _audience("old")
    _batch(audience, 1, ["a"])
    settle(audience, T0 + WINDOW, 50)
    assert audience.sessions[0].stage == "uploading"
    settle(audience, T0 + WINDOW + 1, 50)  # closed at the window's end, processing until +50
    assert audience.sessions[0].stage == "processing" and _members(audience) == _rows("old")
    settle(audience, T0 + WINDOW + 50, 50)
    assert audience.sessions[0].stage == "processed" and _members(audience) == _rows("a")


def test_data_format_lock_applies_to_batch_1_and_within_the_replace():
    audience = _audience("old")  # locked to MULTI_HASHES
    with pytest.raises(GraphError) as caught:
        _batch(audience, 1, schema="EMAIL_SHA256", data=[h("a")])
    assert caught.value.code == 2650 and caught.value.subcode is None
    assert "FILE_IMPORTED.HASHES_OR_USER_IDS" in caught.value.message
    fresh = _audience()  # no lock yet: the replace's first batch fixes it
    _batch(fresh, 1, schema="EMAIL_SHA256", data=[h("a")])
    with pytest.raises(GraphError, match=r"FILE_IMPORTED\.HASHES, which does not support"):
        _batch(fresh, 2, ["b"])
    _batch(fresh, 3, schema="EMAIL_SHA256", data=[h("c")], last=True)
    assert fresh.data_source_sub_type == "HASHES" and _members(fresh) == _rows("a", "c")


def test_users_edits_are_refused_only_while_a_replace_runs():
    audience = _audience("old")
    ensure_not_busy(audience)
    _batch(audience, 1)
    error = _refused(1870145, ensure_not_busy, audience)
    assert "Audience update in progress" in error.message
    _batch(audience, 2, last=True, processing=5)
    _refused(1870145, ensure_not_busy, audience)
    settle(audience, T0 + 5, 5)
    ensure_not_busy(audience)


def test_only_custom_audiences_can_be_replaced():
    audience = _audience()
    ensure_custom(audience)
    audience.subtype = "LOOKALIKE"
    with pytest.raises(GraphError) as caught:
        ensure_custom(audience)
    # every error of the replace endpoint is 2650 (Meta's guide); Meta documents no subcode for this one
    assert (caught.value.code, caught.value.subcode, caught.value.is_transient) == (2650, None, False)


def test_a_flag_set_meanwhile_survives_the_finish():
    audience = _audience("old")
    _batch(audience, 1, ["a"], last=True, processing=10)
    audience.operation_status = {"code": 471, "description": "Flagged"}
    settle(audience, T0 + 10, 10)
    assert audience.operation_status["code"] == 471 and _members(audience) == _rows("a")


def test_size_floor_drives_the_reported_bounds():
    audience = _audience("a", "b")
    values = render_audience(audience)
    assert (values["approximate_count_lower_bound"], values["approximate_count_upper_bound"]) == (2, 2)
    audience.size_floor = 123_456_789
    values = render_audience(audience)
    assert (values["approximate_count_lower_bound"], values["approximate_count_upper_bound"]) == (
        120_000_000,
        130_000_000,
    )
    assert values["delivery_status"]["code"] == 200
    audience.size_floor = 1  # a floor below the members changes nothing
    assert render_audience(audience)["approximate_count_upper_bound"] == 2


def test_state_settles_with_the_configured_processing_time_and_hooks():
    clock = VirtualClock(T0, frozen=True)
    config = SimConfig(app_id="1", app_secret="s", replace_processing_seconds=40)
    state = SimState(config, clock)
    state.add_ad_account("act_1")
    audience = state.add_audience("238", "act_1")
    accept_batch(
        audience, _session(1), _payload(["EMAIL"], _rows("a")), now=T0, window_seconds=10, processing_seconds=0
    )
    clock.advance(11)  # the window ran out: closes at T0 + 10, processing 40 s from the config
    state.settle_audience(audience)
    assert audience.sessions[0].stage == "processing"
    clock.advance(38)  # T0 + 49: one second before the end
    state.set_audience_size("238", 5)
    assert audience.members == [] and audience.size_floor == 5
    state.set_replace_outcome("238", True)  # the replace still processing is the next to finish
    clock.advance(1)
    state.settle_audience(audience)
    assert audience.operation_status["code"] == 415 and audience.members == []
    with pytest.raises(KeyError):
        state.set_replace_outcome("nope", True)
