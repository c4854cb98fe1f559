"""Custom-audience rules without HTTP: payload validation, lock, membership, sessions, sizes, budget."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import pytest

from leadloop_cli.graphsim.audiences import (
    HASHES,
    MULTI_HASHES,
    Payload,
    add_members,
    count_bounds,
    ensure_editable,
    ensure_source,
    parse_payload,
    parse_schema,
    parse_session,
    record_session,
    remove_members,
)
from leadloop_cli.graphsim.clock import VirtualClock
from leadloop_cli.graphsim.config import SimConfig
from leadloop_cli.graphsim.errors import GraphError
from leadloop_cli.graphsim.models import Audience
from leadloop_cli.graphsim.state import SimState
from leadloop_cli.graphsim.usage import UsageTracker


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _audience() -> Audience:
    return Audience(id="238", account_id="act_1", name="a")


def _payload(schema: object, data: Sequence[object]) -> Payload:
    return parse_payload({"schema": schema, "data": data})


def test_schema_kinds_and_unknown_keys():
    assert parse_schema("EMAIL_SHA256") == (("EMAIL",), HASHES)
    assert parse_schema("extern_id") == (("EXTERN_ID",), HASHES)
    assert parse_schema(["EMAIL", "PHONE"]) == (("EMAIL", "PHONE"), MULTI_HASHES)
    for bad in ("NOPE", ["EMAIL", "NOPE"], [], ["EMAIL", "EMAIL"], None, 3):
        with pytest.raises(GraphError) as caught:
            parse_schema(bad)
        assert caught.value.code == 100


def test_payload_as_json_string_and_flat_single_key_rows():
    payload = parse_payload(json.dumps({"schema": "EMAIL_SHA256", "data": [h("a"), [h("b")]]}))
    assert payload.rows == [[h("a")], [h("b")]] and payload.received == 2 and payload.invalid == 0


def test_over_10000_rows_is_100():
    with pytest.raises(GraphError) as caught:
        _payload(["EMAIL"], [[h("x")]] * 10_001)
    assert caught.value.code == 100 and "10000" in caught.value.message
    assert _payload(["EMAIL"], [[h("x")]] * 10_000).received == 10_000


@pytest.mark.parametrize(
    "data",
    [[[h("a")]], [[h("a"), "", ""]], [h("a")], [[h("a"), True]], [[h("a"), None]]],
)
def test_row_schema_mismatch_or_bad_cell_type_is_100(data):
    with pytest.raises(GraphError) as caught:
        _payload(["EMAIL", "PHONE"], data)
    assert caught.value.code == 100


def test_malformed_hashes_are_counted_sampled_and_dropped():
    data = [[h("a"), ""], ["plain@example.com", ""], [h("b"), "ABC"], ["", ""], [h("c").upper(), h("d")]]
    payload = _payload(["EMAIL", "PHONE"], data)
    assert payload.received == 5 and payload.invalid == 4
    assert payload.rows == [[h("a"), ""]]
    assert payload.samples == {"plain@example.com": "EMAIL", "ABC": "PHONE", h("c").upper(): "EMAIL"}
    near_misses = [[h("e") + "\n"], [h("f")[:63]], [h("g")[:32] + " " + h("g")[33:]], [h("i")[:-1] + "g"]]
    assert _payload(["EMAIL"], near_misses).invalid == 4


def test_a_hashed_blank_is_an_invalid_entry_in_any_column():
    empty = h("")
    data = [[h("a"), empty], [empty, ""], ["", empty]]
    payload = _payload(["EMAIL", "PHONE"], data)
    assert payload.invalid == 3 and payload.rows == []
    assert payload.samples == {empty: "PHONE"}
    assert _payload(["EXTERN_ID"], [[empty]]).invalid == 1


def test_removing_with_a_hashed_blank_never_matches_anyone():
    audience = _audience()
    add_members(audience, _payload(["EMAIL", "PHONE"], [[h("a"), ""], [h("b"), ""], [h("c"), h("1")]]))
    payload = _payload(["EMAIL", "PHONE"], [[h("zz"), h("")]])
    assert payload.invalid == 1
    assert remove_members(audience, payload) == 0 and len(audience.members) == 3


def test_an_upper_case_madid_is_an_invalid_entry():
    idfa = "6D92078A-8246-4BA4-AE5B-76104861E7DC"
    payload = _payload(["MADID"], [[idfa], [idfa.lower()]])
    assert payload.invalid == 1 and payload.rows == [[idfa.lower()]]
    assert payload.samples == {idfa: "MADID"}
    assert _payload("MOBILE_ADVERTISER_ID", [idfa]).invalid == 1


def test_samples_are_capped_at_100():
    payload = _payload(["EMAIL"], [[f"bad{i}"] for i in range(150)])
    assert payload.invalid == 150 and len(payload.samples) == 100


def test_unhashed_keys_and_ldu_cells_are_accepted():
    schema = ["EXTERN_ID", "MADID", "DATA_PROCESSING_OPTIONS", "DATA_PROCESSING_OPTIONS_COUNTRY", "LOOKALIKE_VALUE"]
    payload = _payload(schema, [["crm-1", "6d92078a-8246-4ba4-ae5b-76104861e7dc", ["LDU"], 1, 9.5]])
    assert payload.invalid == 0 and len(payload.rows) == 1
    # LDU columns alone identify nobody
    assert _payload(["EMAIL", "DATA_PROCESSING_OPTIONS"], [["", ["LDU"]]]).invalid == 1


def test_pageuid_needs_page_ids():
    with pytest.raises(GraphError, match="page_ids"):
        _payload(["PAGEUID"], [["1234567890"]])
    payload = parse_payload({"schema": ["PAGEUID"], "data": [["1234567890"]], "page_ids": ["77"]})
    assert payload.invalid == 0 and len(payload.rows) == 1


def test_data_source_lock_both_ways():
    audience = _audience()
    add_members(audience, _payload(["EMAIL"], [[h("a")]]))
    assert audience.data_source_sub_type == MULTI_HASHES
    ensure_source(audience, MULTI_HASHES)
    with pytest.raises(GraphError) as caught:
        ensure_source(audience, HASHES)
    assert caught.value.code == 2650
    assert (
        "created from data source FILE_IMPORTED.MULTI_HASHES, which does not support data source "
        "FILE_IMPORTED.HASHES_OR_USER_IDS" in caught.value.message
    )
    single = _audience()
    add_members(single, _payload("EMAIL_SHA256", [h("a")]))
    with pytest.raises(GraphError, match=r"FILE_IMPORTED\.HASHES, which does not support .*MULTI_HASHES"):
        ensure_source(single, MULTI_HASHES)


def test_add_dedupes_identical_rows_and_grows_schema():
    audience = _audience()
    assert add_members(audience, _payload(["EMAIL", "PHONE"], [[h("a"), h("1")], [h("a"), h("1")]])) == 1
    assert add_members(audience, _payload(["EMAIL", "PHONE"], [[h("a"), h("1")], [h("b"), ""]])) == 1
    assert add_members(audience, _payload(["FN", "EMAIL"], [[h("ada"), h("c")]])) == 1
    assert audience.schema == ["EMAIL", "PHONE", "FN"]
    assert audience.members == [[h("a"), h("1"), ""], [h("b"), "", ""], [h("c"), "", h("ada")]]
    # the padded old row is still recognised as a duplicate
    assert add_members(audience, _payload(["EMAIL", "PHONE"], [[h("a"), h("1")]])) == 0


def test_remove_by_one_identifier_removes_every_member_sharing_it():
    audience = _audience()
    add_members(
        audience,
        _payload(
            ["EMAIL", "PHONE", "FN"],
            [[h("a"), h("1"), h("ada")], [h("a"), "", ""], [h("b"), h("1"), ""], [h("c"), "", h("ada")]],
        ),
    )
    # one email removes both rows carrying it; a shared first name alone does not identify anyone
    assert remove_members(audience, _payload("EMAIL_SHA256", [h("a")])) == 2
    assert audience.members == [[h("b"), h("1"), ""], [h("c"), "", h("ada")]]
    assert remove_members(audience, _payload(["PHONE"], [[h("1")]])) == 1
    assert remove_members(audience, _payload(["FN"], [[h("bob")]])) == 0
    # a row without identifying keys removes members equal on all its non-empty cells
    assert remove_members(audience, _payload(["FN"], [[h("ada")]])) == 1
    assert audience.members == []


def test_flagged_audience_refuses_edits():
    audience = _audience()
    audience.operation_status = {"code": 471, "description": "Flagged"}
    with pytest.raises(GraphError) as caught:
        ensure_editable(audience)
    assert (caught.value.code, caught.value.subcode) == (100, 1713230)


def test_session_parsing():
    session = parse_session(json.dumps({"session_id": "9007199254740993", "batch_seq": 2, "last_batch_flag": "true"}))
    assert session is not None
    assert (session.session_id, session.batch_seq, session.last_batch_flag) == ("9007199254740993", 2, True)
    assert parse_session(None) is None
    for bad in ({"session_id": 0}, {"session_id": "x"}, {"session_id": 1, "batch_seq": 0}, "[1]", "{"):
        with pytest.raises(GraphError):
            parse_session(bad if isinstance(bad, str) else json.dumps(bad))


def test_sessions_accumulate_until_the_last_batch():
    audience = _audience()
    first = parse_session({"session_id": 7, "batch_seq": 1, "last_batch_flag": False})
    last = parse_session({"session_id": 7, "batch_seq": 2, "last_batch_flag": True})
    record = record_session(
        audience, first, _payload(["EMAIL"], [[h("a")], ["bad"]]), new_session_id="x", op="add", now=5
    )
    assert record.render()["stage"] == "uploading" and record.render()["num_matched"] == "-1"
    record = record_session(audience, last, _payload(["EMAIL"], [[h("b")]]), new_session_id="y", op="add", now=9)
    assert len(audience.sessions) == 1
    assert record.render() == {
        "session_id": "7",
        "stage": "processed",
        "num_received": "3",
        "num_matched": "2",
        "num_invalid_entries": "1",
        "progress": "100",
        "start_time": "5",
        "end_time": "9",
    }
    alone = record_session(audience, None, _payload(["EMAIL"], [[h("c")]]), new_session_id="42", op="add", now=10)
    assert alone.session_id == "42" and alone.stage == "processed" and len(audience.sessions) == 2


@pytest.mark.parametrize(
    ("size", "bounds"), [(0, (0, 0)), (7, (7, 7)), (99, (99, 99)), (100, (100, 110)), (1234, (1200, 1300))]
)
def test_count_bounds(size, bounds):
    assert count_bounds(size) == bounds
    lower, upper = bounds
    assert lower <= size <= upper


@pytest.fixture
def usage_world():
    clock = VirtualClock(1_800_000_000, frozen=True)
    state = SimState(SimConfig(app_id="1", app_secret="s"), clock)
    state.add_ad_account("act_5")
    return clock, state, UsageTracker(clock, state)


def test_audience_budget_formula_and_80003(usage_world):
    clock, state, usage = usage_world
    assert usage.audience_budget("act_5") == 5000
    state.add_audience(None, "act_5")
    assert usage.audience_budget("act_5") == 5040
    usage.set_audience_budget("act_5", 2)
    headers = usage.custom_audience_call("act_5")
    assert json.loads(headers["X-Ad-Account-Usage"]) == {
        "acc_id_util_pct": 50.0,
        "reset_time_duration": 3600,
        "ads_api_access_tier": "development_access",
    }
    clock.advance(600)
    usage.custom_audience_call("act_5")
    with pytest.raises(GraphError) as caught:
        usage.custom_audience_call("act_5")
    assert caught.value.code == 80003 and caught.value.is_transient and caught.value.status == 400
    buc = json.loads(caught.value.headers["X-Business-Use-Case-Usage"])["5"][0]
    assert buc["type"] == "custom_audience" and buc["estimated_time_to_regain_access"] == 50
    clock.advance(3001)
    usage.custom_audience_call("act_5")
