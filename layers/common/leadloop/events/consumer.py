"""LeadsTable stream → LeadEventsBus: one event per captured or forgotten lead, never blocking capture.

The batch's events go out together (PutEvents, 10 a call). An entry EventBridge still refuses
after the publisher's retries is parked on LeadEventsDLQ: the lead id, the event kind and the
reason, no answers; ``leadloop dlq replay LeadEventsDLQ`` rebuilds the event from LeadsTable. Only
when parking fails too is the record reported failed, so Lambda retries it (bisecting) and, after
its retry limit, sends the batch's stream coordinates to the same DLQ. A record that cannot be
read is parked the same way, so one bad record never holds the shard.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadloop.batch.deadline import time_left as context_time_left
from leadloop.batch.settle import settle_stream
from leadloop.events.changes import LeadChange, LeadEventSource, lead_change
from leadloop.events.detail import SOURCE, captured_detail, forgotten_detail, form_of, without_answers
from leadloop.events.publisher import MAX_REQUEST_BYTES, EventEntry, EventPublisher
from leadloop.observability import logger
from leadloop.queues import MessageQueue, OutgoingMessage
from leadloop.routing import Routing

#: The body of a parked event: what a replay needs to rebuild it, nothing more.
PARKED_KIND = "lead-event"


@dataclass(frozen=True)
class EventsDeps:
    routing: Callable[[], Routing]
    publisher: EventPublisher
    parking: MessageQueue
    clock: Callable[[], float]


def build_entry(source: LeadEventSource, routing: Routing) -> EventEntry:
    """The PutEvents entry for one change; answers only if the form's route opts in."""
    if source.change is LeadChange.CAPTURED:
        route = routing.form(form_of(source) or "")
        detail = captured_detail(source, include_answers=bool(route and route.events_include_answers))
        stamp = source.item.get("fetched_at")
    else:
        detail = forgotten_detail(source)
        stamp = source.item.get("forgotten_at")
    moment = datetime.fromtimestamp(int(stamp), UTC) if stamp is not None else None
    entry = EventEntry(_key(source), source.change.value, _json(detail), SOURCE, moment)
    if entry.size() >= MAX_REQUEST_BYTES and detail.get("answers_included"):
        entry = EventEntry(entry.key, entry.detail_type, _json(without_answers(detail)), SOURCE, moment)
    return entry


def _json(detail: dict[str, Any]) -> str:
    return json.dumps(detail, separators=(",", ":"), ensure_ascii=False)


def _key(source: LeadEventSource) -> str:
    return f"{source.change.value}#{source.leadgen_id}"


def parked_message(leadgen_id: str, change: str, reason: str, now: int) -> OutgoingMessage:
    body = {"kind": PARKED_KIND, "leadgen_id": leadgen_id, "event": change, "reason": reason, "parked_at": now}
    return OutgoingMessage(json.dumps(body, separators=(",", ":")), reason=reason)


def consume(event: dict[str, Any], context: LambdaContext, deps: EventsDeps) -> dict[str, Any]:
    records = [DynamoDBRecord(raw) for raw in event.get("Records", [])]
    failed = publish_records(records, deps, time_left=context_time_left(context))
    return settle_stream(event, context, failed)


def publish_records(records: list[DynamoDBRecord], deps: EventsDeps, *, time_left: Callable[[], float]) -> set[str]:
    """Publish every record's event; the sequence numbers of records neither published nor parked."""
    routing = deps.routing()
    entries: list[EventEntry] = []
    owners: dict[str, list[str]] = {}  # entry key -> sequence numbers
    to_park: list[tuple[str, str, str, str]] = []  # (sequence, leadgen id, event, reason)
    for record in records:
        sequence = str(record.dynamodb.sequence_number) if record.dynamodb else ""
        try:
            source = lead_change(record.raw_event)
            if source is None:
                continue
            entry = build_entry(source, routing)
        except Exception as exc:
            logger.exception("a stream record could not become an event", extra={"sequence_number": sequence})
            to_park.append((sequence, _lead_id(record), "unknown", f"unreadable:{type(exc).__name__}"))
            continue
        if entry.key not in owners:
            entries.append(entry)
        owners.setdefault(entry.key, []).append(sequence)
    result = deps.publisher.publish(entries, time_left=time_left) if entries else None
    if result is not None:
        logger.info("lead events", extra={"published": result.accepted, "calls": result.calls})
        for key, reason in result.refused.items():
            change, _, leadgen_id = key.partition("#")
            to_park += [(sequence, leadgen_id, change, reason) for sequence in owners[key]]
    return _park(to_park, deps)


def _lead_id(record: DynamoDBRecord) -> str:
    keys = (record.raw_event.get("dynamodb") or {}).get("Keys") or {}
    return str((keys.get("leadgen_id") or {}).get("S", ""))


def _park(to_park: list[tuple[str, str, str, str]], deps: EventsDeps) -> set[str]:
    """Park refused events on LeadEventsDLQ; the sequence numbers whose parking failed too."""
    if not to_park:
        return set()
    now = int(deps.clock())
    messages = [parked_message(lead, change, reason, now) for _, lead, change, reason in to_park]
    accepted = deps.parking.send_each(messages)
    for (sequence, lead, change, reason), ok in zip(to_park, accepted, strict=True):
        logger.warning(
            "lead event parked" if ok else "lead event neither published nor parked",
            extra={"leadgen_id": lead, "event": change, "reason": reason, "sequence_number": sequence},
        )
    return {sequence for (sequence, *_), ok in zip(to_park, accepted, strict=True) if not ok}
