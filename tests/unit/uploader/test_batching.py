"""Grouping, dedupe, the 10,000-row split and session fields (pure)."""

from __future__ import annotations

import json

from leadloop.rows.messages import AudienceRowsMessage
from leadloop.uploader.batching import MAX_ROWS_PER_CALL, Received, plan_calls, well_formed

from .fakes import message, sha


def received(mid: str, **kwargs) -> Received:
    return Received(mid, f"rh-{mid}", AudienceRowsMessage.model_validate(message(**kwargs)))


def test_groups_by_audience_op_and_schema():
    calls = plan_calls(
        [
            received("m1", audience_id="1", rows=[[sha("a"), ""]]),
            received("m2", audience_id="1", rows=[[sha("b"), ""]]),
            received("m3", audience_id="2", rows=[[sha("a"), ""]]),
            received("m4", audience_id="1", op="remove", rows=[[sha("c"), ""]]),
        ]
    )
    shapes = sorted((c.key.audience_id, c.key.op, len(c.rows), sorted(c.message_ids)) for c in calls)
    assert shapes == [("1", "add", 2, ["m1", "m2"]), ("1", "remove", 1, ["m4"]), ("2", "add", 1, ["m3"])]
    assert all(c.session is None for c in calls)


def test_remove_posts_with_method_delete_and_add_does_not():
    add, remove = plan_calls([received("a", op="add"), received("r", op="remove")])
    assert "method" not in add.form()
    assert remove.form()["method"] == "DELETE"


def test_identical_rows_are_sent_once_and_belong_to_every_message_that_had_them():
    [call] = plan_calls(
        [received("m1", rows=[[sha("a"), ""], [sha("a"), ""]]), received("m2", rows=[[sha("a"), ""], [sha("b"), ""]])]
    )
    assert call.rows == ((sha("a"), ""), (sha("b"), ""))
    assert call.message_ids == {"m1", "m2"}


def test_payload_is_meta_shaped():
    [call] = plan_calls([received("m1", rows=[[sha("a"), sha("p")]])])
    form = call.form()
    assert json.loads(form["payload"]) == {"schema": ["EMAIL", "PHONE"], "data": [[sha("a"), sha("p")]], "is_raw": True}
    assert "session" not in form


def test_more_than_10000_rows_split_into_one_session():
    items = [received(f"m{i}", rows=[[sha(f"{i}-{j}"), ""] for j in range(5000)]) for i in range(5)]
    calls = plan_calls(items, new_session_id=lambda: 42)
    assert [len(c.rows) for c in calls] == [MAX_ROWS_PER_CALL, MAX_ROWS_PER_CALL, 5000]
    sessions = [json.loads(c.form()["session"]) for c in calls]
    assert sessions == [
        {"session_id": 42, "batch_seq": 1, "last_batch_flag": False, "estimated_num_total": 25000},
        {"session_id": 42, "batch_seq": 2, "last_batch_flag": False, "estimated_num_total": 25000},
        {"session_id": 42, "batch_seq": 3, "last_batch_flag": True, "estimated_num_total": 25000},
    ]
    assert [sorted(c.message_ids) for c in calls] == [["m0", "m1"], ["m2", "m3"], ["m4"]]


def test_a_message_straddling_two_calls_belongs_to_both():
    items = [received("m1", rows=[[sha(f"{j}"), ""] for j in range(3)]), received("m2", rows=[[sha("x"), ""]])]
    first, second = plan_calls(items, max_rows=2)
    assert first.message_ids == {"m1"} and second.message_ids == {"m1", "m2"}
    assert first.session is not None and second.session is not None
    assert first.session.session_id == second.session.session_id > 0


def test_random_session_ids_are_positive_int63():
    from leadloop.rows.session import random_session_id

    ids = {random_session_id() for _ in range(100)}
    assert len(ids) == 100 and all(0 < i < 2**63 for i in ids)


def test_well_formed_rejects_a_short_row():
    msg = AudienceRowsMessage.model_construct(audience_id="1", op="add", schema_keys=["EMAIL", "PHONE"], rows=[["x"]])
    assert not well_formed(msg)


def test_pageuid_rows_carry_their_page_ids_and_groups_keep_pages_apart():
    pageuid = {"schema": ["PAGEUID"], "rows": [["1234567890"]]}
    first, second = plan_calls([received("p1", page_ids=["77"], **pageuid), received("p2", page_ids=["78"], **pageuid)])
    assert json.loads(first.form()["payload"])["page_ids"] == ["77"]
    assert json.loads(second.form()["payload"])["page_ids"] == ["78"]
    assert "page_ids" not in json.loads(plan_calls([received("e")])[0].form()["payload"])


def test_a_pageuid_message_without_page_ids_is_refused():
    import pytest
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="page_ids"):
        AudienceRowsMessage.model_validate(message(schema=["PAGEUID"], rows=[["1234567890"]]))
