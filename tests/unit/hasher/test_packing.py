"""Packed AudienceQueue messages: the v2 wire form, v1 still read, size caps, and which records a message carries."""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import ValidationError

from leadloop.hasher.consumer import consume
from leadloop.hasher.packing import pack
from leadloop.hasher.service import HasherDeps
from leadloop.queues import OutgoingMessage, _batches
from leadloop.routing import Routing
from leadloop.rows.audience_rows import AudienceRow, GroupKey
from leadloop.rows.codec import MAX_UNPACKED_BYTES, pack_rows
from leadloop.rows.messages import MAX_BODY_BYTES, AudienceRowsMessage, MessageError
from leadloop.rows.policy import LEAD_SCHEMA
from leadloop.state.markers import FailedRecord

SCHEMA = ("EMAIL", "PHONE")


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def row(n: int, audience: str = "111", op: str = "add", schema: tuple[str, ...] = SCHEMA) -> AudienceRow:
    cells = tuple(sha(f"{n}-{key}") for key in schema)
    return AudienceRow(GroupKey(audience, op, schema), str(1000 + n), cells)  # type: ignore[arg-type]


def message(rows: list[list[str]], **extra: Any) -> AudienceRowsMessage:
    fields: dict[str, Any] = {"audience_id": "111", "op": "add", "schema": list(SCHEMA), "rows": rows}
    return AudienceRowsMessage.model_validate(fields | extra)


# ------------------------------------------------------------------------------------------ wire


def test_a_v2_body_packs_the_rows_and_reads_back_equal():
    original = message([[sha("a"), sha("p")], [sha("b"), ""]], lead_ids=["1", "2"], account_id="9001")
    body = original.body()
    document = json.loads(body)
    assert document["v"] == 2 and "rows" not in document and document["lead_ids"] == ["1", "2"]
    assert sha("a") not in body  # packed: no cell travels as plain text
    assert AudienceRowsMessage.from_body(body) == original


def test_a_v1_body_from_a_deployed_queue_is_still_read():
    v1 = {
        "v": 1,
        "audience_id": "111",
        "op": "remove",
        "schema": list(SCHEMA),
        "rows": [[sha("a"), ""]],
        "lead_id": "77",
        "form_id": "9",
        "account_id": None,
        "page_ids": None,
    }
    parsed = AudienceRowsMessage.from_body(json.dumps(v1))
    assert (parsed.op, parsed.rows, parsed.lead_ids) == ("remove", [[sha("a"), ""]], ["77"])
    # a v1 body still holding raw PII is refused like before
    with pytest.raises(ValidationError):
        AudienceRowsMessage.from_body(json.dumps(v1 | {"rows": [["mary@example.com", ""]]}))


def test_packed_rows_are_validated_cell_by_cell_when_read():
    good = json.loads(message([[sha("a"), ""]]).body())
    raw = good | {"rows_z": pack_rows([[sha("a"), ""], ["mary@example.com", ""]])}
    with pytest.raises(ValidationError) as caught:
        AudienceRowsMessage.from_body(json.dumps(raw))
    assert caught.value.error_count() == 1
    narrow = good | {"rows_z": pack_rows([[sha("a")]])}
    with pytest.raises(ValidationError):
        AudienceRowsMessage.from_body(json.dumps(narrow))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"rows_z": "%%%not base64"}, "not base64url"),
        ({"rows_z": base64.urlsafe_b64encode(b"plain text").decode()}, "not zlib"),
        ({"rows_z": base64.urlsafe_b64encode(zlib.compress(b'{"a": 1}')).decode()}, "not a list of lists"),
        ({"rows_z": base64.urlsafe_b64encode(zlib.compress(b"[[1]]")).decode()}, "not a list of lists"),
        ({"rows_z": base64.urlsafe_b64encode(zlib.compress(b"0" * (MAX_UNPACKED_BYTES + 1))).decode()}, "exceed"),
        ({"rows_z": base64.urlsafe_b64encode(zlib.compress(b"[[]]")[:-4]).decode()}, "truncated"),
        ({"rows": [[sha("a"), ""]]}, "carries its rows in rows_z"),
    ],
)
def test_a_broken_v2_body_is_refused_with_a_reason_that_quotes_nothing(change: dict[str, Any], reason: str):
    document = json.loads(message([[sha("a"), ""]]).body()) | change
    with pytest.raises(MessageError, match=reason):
        AudienceRowsMessage.from_body(json.dumps(document))


def test_lead_ids_name_one_lead_per_row():
    with pytest.raises(ValidationError):
        message([[sha("a"), ""], [sha("b"), ""]], lead_ids=["1"])


# --------------------------------------------------------------------------------------- packing


def test_rows_are_grouped_in_batch_order_and_each_message_knows_its_records():
    rows = [
        ("s1", row(1)),
        ("s1", row(1, audience="222")),
        ("s2", row(2)),
        ("s3", row(3, op="remove")),
        ("s4", row(4, audience="222")),
    ]
    result = pack(rows)
    assert result.unpackable == frozenset()
    shapes = [(p.message.audience_id, p.message.op, p.message.lead_ids, sorted(p.sources)) for p in result.packed]
    assert shapes == [
        ("111", "add", ["1001", "1002"], ["s1", "s2"]),
        ("222", "add", ["1001", "1004"], ["s1", "s4"]),
        ("111", "remove", ["1003"], ["s3"]),
    ]
    assert result.packed[0].message.rows == [list(row(1).cells), list(row(2).cells)]


def test_a_group_is_cut_so_every_body_fits_the_cap_and_no_row_is_lost():
    rows = [(f"s{n}", row(n, schema=LEAD_SCHEMA)) for n in range(400)]
    cap = 20_000
    result = pack(rows, max_bytes=cap)
    assert len(result.packed) > 1
    assert all(len(p.body.encode()) <= cap for p in result.packed)
    assert [r for p in result.packed for r in p.message.rows] == [list(r.cells) for _, r in rows]
    for p in result.packed:  # a message's sources are exactly the records of its rows
        assert p.sources == {f"s{int(lead) - 1000}" for lead in p.message.lead_ids}
        assert AudienceRowsMessage.from_body(p.body) == p.message


def test_the_default_cap_is_sqs_256_kib_with_room_for_the_reason_attribute():
    assert MAX_BODY_BYTES + 1024 == 256 * 1024
    rows = [(f"s{n}", row(n, schema=LEAD_SCHEMA)) for n in range(3000)]  # 12 unique digests a row: ~600 KB
    result = pack(rows)
    assert len(result.packed) >= 3
    assert all(len(p.body.encode()) <= MAX_BODY_BYTES for p in result.packed)
    assert sum(len(p.message.rows) for p in result.packed) == 3000


def test_more_rows_than_a_message_may_hold_are_split_by_count():
    rows = [(f"s{n}", AudienceRow(GroupKey("111", "add", ("GEN",)), "1", ("",))) for n in range(25)]
    result = pack(rows, max_rows=10)
    assert [len(p.message.rows) for p in result.packed] == [9, 9, 7]


def test_a_group_that_fails_validation_fails_only_its_records():
    bad = AudienceRow(GroupKey("111", "add", ("EMAIL",)), "5", ("mary@example.com",))
    result = pack([("s1", bad), ("s2", row(2, audience="222"))])
    assert result.unpackable == {"s1"}
    assert [p.message.audience_id for p in result.packed] == ["222"]


def test_send_batches_stay_within_ten_messages_and_256_kib():
    def out(size: int) -> OutgoingMessage:
        return OutgoingMessage(body="x" * size, reason="r")

    assert _batches([out(10)] * 25) == [(0, 10), (10, 20), (20, 25)]
    assert _batches([out(100_000)] * 5) == [(0, 2), (2, 4), (4, 5)]
    assert _batches([out(300_000), out(10)]) == [(0, 1), (1, 2)]
    assert _batches([]) == []


# -------------------------------------------------------------------------------------- consumer


@dataclass
class RefusingQueue:
    """Accepts every message except those for ``refuse`` audiences."""

    refuse: set[str] = field(default_factory=set)
    sent: list[OutgoingMessage] = field(default_factory=list)

    def send_each(self, messages: Sequence[OutgoingMessage]) -> list[bool]:
        self.sent += messages
        return [json.loads(m.body)["audience_id"] not in self.refuse for m in messages]


@dataclass
class NoteMarkers:
    written: list[FailedRecord] = field(default_factory=list)

    def record(self, failed: Sequence[FailedRecord], *, now: int | None = None) -> None:
        self.written += failed


def stream_record(sequence: str, lead: str, form: str) -> dict[str, Any]:
    image = {
        "leadgen_id": {"S": lead},
        "form_id": {"S": form},
        "status": {"S": "FETCHED"},
        "field_data": {"L": [{"M": {"name": {"S": "email"}, "values": {"L": [{"S": f"p{lead}@example.com"}]}}}]},
    }
    return {
        "eventID": sequence,
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {"SequenceNumber": sequence, "NewImage": image, "Keys": {"leadgen_id": {"S": lead}}},
    }


def test_a_refused_packed_message_fails_every_record_whose_rows_it_carries_and_no_other():
    routing = Routing.model_validate(
        {
            "forms": [
                {"form_id": "10", "page_id": "1", "audience_ids": ["111", "222"]},
                {"form_id": "20", "page_id": "1", "audience_ids": ["111"]},
            ]
        }
    )
    queue = RefusingQueue(refuse={"222"})
    records = [stream_record("100", "1", "10"), stream_record("200", "2", "20"), stream_record("300", "3", "10")]
    event = {"Records": records}
    markers = NoteMarkers()
    answer = consume(event, None, HasherDeps(routing=lambda: routing, audience_queue=queue, markers=markers))
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == ["100", "300"]
    # one message per audience for the whole batch
    bodies = [AudienceRowsMessage.from_body(m.body) for m in queue.sent]
    assert [(m.audience_id, m.lead_ids) for m in bodies] == [("111", ["1", "2", "3"]), ("222", ["1", "3"])]
    assert queue.sent[0].reason == "add 3 row(s)"
    assert [m.sequence for m in markers.written] == ["100", "300"]
