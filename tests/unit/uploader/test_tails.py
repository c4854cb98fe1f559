"""Packed messages in the uploader, and batches Lambda cut at 6 MB: full calls go, short tails wait."""

from __future__ import annotations

import json

from leadloop.graph import GraphRetryableError
from leadloop.rows.messages import AudienceRowsMessage
from leadloop.uploader.batching import Received
from leadloop.uploader.consumer import consume
from leadloop.uploader.tails import CUT_THRESHOLD, MAX_EVENT_BYTES, hold_back_tails, was_cut
from tests.support.context import FakeContext

from .fakes import SCHEMA, Rig, record, sha
from .test_uploader import run


def packed(first: int, count: int, audience_id: str = "111") -> str:
    rows = [[sha(f"p{n}"), ""] for n in range(first, first + count)]
    return AudienceRowsMessage(audience_id=audience_id, op="add", schema_keys=SCHEMA, rows=rows).body()


def item(mid: str, first: int, count: int, audience_id: str = "111") -> Received:
    body = packed(first, count, audience_id)
    return Received(mid, f"rh-{mid}", AudienceRowsMessage.from_body(body), 1, body)


def padding(size: int) -> dict[str, object]:
    """An event of about ``size`` bytes, as far as the payload measure goes (no readable records)."""
    return {"Records": [], "pad": "x" * size}


def test_a_cut_is_recognized_within_one_full_message_of_6_mb():
    assert not was_cut(padding(CUT_THRESHOLD - 200))
    assert was_cut(padding(CUT_THRESHOLD))
    assert CUT_THRESHOLD < MAX_EVENT_BYTES - 256 * 1024 + 1024


def test_groups_that_fill_calls_keep_whole_calls_and_small_groups_go_whole():
    big = [item(f"b{i}", i * 1000, 1000) for i in range(25)]  # 25,000 rows
    small = [item("s0", 0, 300, audience_id="222")]
    send, wait = hold_back_tails([*big[:10], *small, *big[10:]], 10_000)
    assert [r.message_id for r in wait] == [f"b{i}" for i in range(20, 25)]
    assert {r.message_id for r in send} == {f"b{i}" for i in range(20)} | {"s0"}


def test_duplicate_rows_count_once_when_filling_calls():
    # two messages with the same 6,000 rows and one with 5,000 others: 11,000 distinct rows
    items = [item("a", 0, 6000), item("a2", 0, 6000), item("b", 6000, 5000)]
    send, wait = hold_back_tails(items, 10_000)
    assert ([r.message_id for r in send], [r.message_id for r in wait]) == (["a", "a2"], ["b"])


def test_a_cut_batch_sends_only_full_calls_and_returns_the_tail_at_once():
    rig = Rig()
    records = [record(f"m{i}", packed(i * 1000, 1000)) for i in range(13)]
    event = {"Records": records, "pad": "x" * CUT_THRESHOLD}  # as large as a batch Lambda had to cut
    answer = consume(event, FakeContext(), rig.deps(), time_left=lambda: 100.0)
    failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
    assert failed == {"m10", "m11", "m12"}
    assert [len(json.loads(form["payload"])["data"]) for _, _, form in rig.graph.calls] == [10_000]
    assert rig.hider.hidden == {"rh-m10": 0, "rh-m11": 0, "rh-m12": 0}
    assert rig.dlq.texts == []


def test_a_batch_that_was_not_cut_is_sent_whole():
    rig = Rig()
    records = [record(f"m{i}", packed(i * 1000, 1000)) for i in range(13)]
    assert run(rig, records) == set()
    assert [len(json.loads(form["payload"])["data"]) for _, _, form in rig.graph.calls] == [10_000, 3_000]


def test_v1_and_packed_v2_messages_share_one_call_and_a_failed_call_fails_exactly_its_messages():
    rig = Rig()
    v1 = {"v": 1, "audience_id": "111", "op": "add", "schema": SCHEMA, "rows": [[sha("old"), ""]], "lead_id": "5"}
    records = [record("v1", v1), record("v2a", packed(0, 6000)), record("v2b", packed(6000, 6000))]
    assert run(rig, records) == set()
    assert [len(json.loads(form["payload"])["data"]) for _, _, form in rig.graph.calls] == [10_000, 2_001]

    rig = Rig()
    rig.graph.script = [None, GraphRetryableError("down", code=2, http_status=503)]
    # call 1: v1's row, v2a's 6,000 and 3,999 of v2b; call 2 (failing): v2b's other 2,001
    assert run(rig, records) == {"v2b"}
    assert set(rig.hider.hidden) == {"rh-v2b"}
