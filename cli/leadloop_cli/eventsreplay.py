"""Replay of the lead-event dead-letter queues: what did not reach LeadEventsBus, or the user's endpoint.

* **LeadEventsDLQ** holds two kinds of message. A parked event (``"kind": "lead-event"``: lead id,
  event, reason, no answers) is rebuilt from the lead's *current* state in LeadsTable: stored →
  "Lead Captured" (answers only if its route opts in now), forgotten → "Lead Forgotten"; a lead
  that is gone (expired, never stored) has nothing to send and its message is dropped. Lambda's
  on-failure record (the stream coordinates of a batch LeadEventsFunction gave up on) is rebuilt
  from the stream itself while its records are under 23 hours old; after that it stays, and the
  replay says so.
* **LeadDeliveryDLQ** holds the events EventBridge could not deliver to ``LeadDeliveryUrl``, as
  they were; each is put back on LeadEventsBus, so the rule delivers it again (and any other rule
  on the bus sees it again: consumers dedupe on ``leadgen_id``).

A message is deleted only after EventBridge accepted every event rebuilt from it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from leadloop.events.changes import LeadChange, LeadEventSource, lead_change
from leadloop.events.consumer import PARKED_KIND, build_entry
from leadloop.events.detail import SOURCE
from leadloop.events.publisher import EventEntry, EventPublisher
from leadloop.leads.models import LeadStatus
from leadloop.routing import Routing
from leadloop_cli.hasherreplay import DeadRange, read_range

__all__ = ["DeliveryReplay", "EventsReplay", "EventsReplayReport"]

_VISIBILITY = 120


class LeadLookup(Protocol):
    def get(self, leadgen_id: str) -> dict[str, Any] | None: ...


@dataclass
class EventsReplayReport:
    messages: int = 0
    published: int = 0
    gone: int = 0
    kept: int = 0
    unreadable: int = 0


def _receive(sqs: Any, url: str, want: int) -> list[dict[str, Any]]:
    answer = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=want, VisibilityTimeout=_VISIBILITY, WaitTimeSeconds=0
    )
    return list(answer.get("Messages") or [])


def _drain(
    sqs: Any, url: str, limit: int | None, handle: Callable[[dict[str, Any]], bool], report: EventsReplayReport
) -> None:
    """Each message once (a kept one stays invisible for the rest of the run), deleted when ``handle`` says so."""
    while limit is None or report.messages < limit:
        want = 10 if limit is None else max(1, min(10, limit - report.messages))
        messages = _receive(sqs, url, want)
        if not messages:
            return
        for message in messages:
            report.messages += 1
            if handle(message):
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


class EventsReplay:
    """LeadEventsDLQ → LeadEventsBus, rebuilt from LeadsTable or the stream."""

    def __init__(
        self,
        *,
        sqs: Any,
        dlq_url: str,
        leads: LeadLookup,
        routing: Callable[[], Routing],
        publisher: EventPublisher,
        streams: Any,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sqs, self._url, self._leads = sqs, dlq_url, leads
        self._routing, self._publisher, self._streams, self._now = routing, publisher, streams, now

    def run(self, *, limit: int | None = None) -> EventsReplayReport:
        report = EventsReplayReport()
        routing = self._routing()
        _drain(self._sqs, self._url, limit, lambda message: self._one(message, routing, report), report)
        return report

    def _one(self, message: dict[str, Any], routing: Routing, report: EventsReplayReport) -> bool:
        entries = self._rebuild(message["Body"], routing, report)
        if entries is None:
            return False
        if not entries:
            report.gone += 1
            return True
        result = self._publisher.publish(entries, time_left=lambda: 60.0)
        report.published += result.accepted
        if result.refused:
            report.kept += 1
            return False
        return True

    def _rebuild(self, body: str, routing: Routing, report: EventsReplayReport) -> list[EventEntry] | None:
        """The events a message stands for ([] when there is nothing left to send), None to keep it."""
        try:
            document = json.loads(body)
        except ValueError:
            document = None
        if isinstance(document, dict) and document.get("kind") == PARKED_KIND:
            entry = self._from_table(str(document.get("leadgen_id", "")), routing)
            return [entry] if entry is not None else []
        dead = DeadRange.parse(body)
        if dead is None:
            report.unreadable += 1
            return None
        if not dead.stream_readable(self._now()):
            report.kept += 1
            return None
        records = read_range(self._streams, dead)
        if records is None:
            report.kept += 1
            return None
        changes = [change for record in records if (change := lead_change(record)) is not None]
        return [build_entry(change, routing) for change in changes]

    def _from_table(self, leadgen_id: str, routing: Routing) -> EventEntry | None:
        item = self._leads.get(leadgen_id) if leadgen_id.isdigit() else None
        status = (item or {}).get("status")
        if item is None or status not in (LeadStatus.FETCHED.value, LeadStatus.FORGOTTEN.value):
            return None
        change = LeadChange.CAPTURED if status == LeadStatus.FETCHED.value else LeadChange.FORGOTTEN
        return build_entry(LeadEventSource(change, leadgen_id, item, before={}), routing)


class DeliveryReplay:
    """LeadDeliveryDLQ → LeadEventsBus: each undelivered event put back as it was."""

    def __init__(self, *, sqs: Any, dlq_url: str, publisher: EventPublisher) -> None:
        self._sqs, self._url, self._publisher = sqs, dlq_url, publisher

    def run(self, *, limit: int | None = None) -> EventsReplayReport:
        report = EventsReplayReport()
        _drain(self._sqs, self._url, limit, lambda message: self._one(message, report), report)
        return report

    def _one(self, message: dict[str, Any], report: EventsReplayReport) -> bool:
        try:
            event = json.loads(message["Body"])
            entry = EventEntry(
                key=str(event["id"]),
                detail_type=str(event["detail-type"]),
                detail=json.dumps(event["detail"], separators=(",", ":"), ensure_ascii=False),
                source=SOURCE,
            )
            if event.get("source") != SOURCE or not isinstance(event["detail"], dict):
                raise ValueError("not a lead event")
        except (ValueError, KeyError, TypeError):
            report.unreadable += 1
            return False
        result = self._publisher.publish([entry], time_left=lambda: 60.0)
        report.published += result.accepted
        if result.refused:
            report.kept += 1
            return False
        return True
