"""In-memory stand-ins for LeadsTable, StateTable and an SQS queue, as the services use them.

Each keeps the rules of the real adapter that a service relies on (``LeadStore``: a notification
never lowers a status, a lead is stored once and never over a FETCHED or FORGOTTEN one; a failure
note leaves a settled lead alone) and records what it was asked, so a test reads what happened.
``fail_with`` makes calls raise: the lead store's by method name (``{"save_fetched": StoreError(...)}``),
the queue's on every send (a ``QueueError``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadloop.leads.models import GraphLead, LeadNotification, LeadStatus
from leadloop.leads.store import LeadOrigin, RecordedNotification
from leadloop.queues import OutgoingMessage

DAY = 86400


@dataclass
class StoredLead:
    status: LeadStatus
    form_id: str | None = None
    created_time: int | None = None
    lead: GraphLead | None = None
    source: LeadOrigin | None = None
    page_id: str | None = None
    notifications: int = 0
    failures: list[tuple[str, bool]] = field(default_factory=list)


class MemoryLeadStore:
    """``LeadStore`` over a dict keyed by leadgen id."""

    def __init__(self) -> None:
        self.leads: dict[str, StoredLead] = {}
        self.fail_with: dict[str, Exception] = {}

    def record_notifications(self, notes: Sequence[LeadNotification], *, now: int) -> list[RecordedNotification]:
        self._maybe_fail("record_notifications")
        recorded = []
        for note in notes:
            item = self.leads.setdefault(note.leadgen_id, StoredLead(LeadStatus.PENDING))
            item.form_id = item.form_id or note.form_id
            item.created_time = item.created_time if item.created_time is not None else note.created_time
            item.source = item.source or LeadOrigin.WEBHOOK
            item.page_id = item.page_id or note.page_id
            item.notifications += 1
            recorded.append(RecordedNotification(note.leadgen_id, item.status))
        return recorded

    def save_fetched(self, lead: GraphLead, *, source: LeadOrigin, now: int, page_id: str | None = None) -> bool:
        self._maybe_fail("save_fetched")
        item = self.leads.setdefault(lead.id, StoredLead(LeadStatus.PENDING))
        if item.status.settled:
            return False
        item.status, item.lead = LeadStatus.FETCHED, lead
        item.form_id, item.created_time = lead.form_id, lead.created_epoch
        item.source = item.source or source
        item.page_id = item.page_id or page_id
        return True

    def note_fetch_failure(self, leadgen_id: str, reason: str, *, failed: bool, now: int) -> None:
        self._maybe_fail("note_fetch_failure")
        item = self.leads.get(leadgen_id)
        if item is None or item.status.settled:
            return
        item.failures.append((reason, failed))
        if failed:
            item.status = LeadStatus.FAILED

    def statuses(self, leadgen_ids: Iterable[str]) -> dict[str, LeadStatus]:
        return {i: self.leads[i].status for i in leadgen_ids if i in self.leads}

    def count_created_since(self, form_id: str, since: int) -> int:
        return sum(1 for item in self.leads.values() if item.form_id == form_id and (item.created_time or 0) >= since)

    # ------------------------------------------------------------------ what the test reads
    def stored(self) -> dict[str, GraphLead]:
        """The leads stored with their answers, by id."""
        return {i: item.lead for i, item in self.leads.items() if item.lead is not None}

    def _maybe_fail(self, method: str) -> None:
        if method in self.fail_with:
            raise self.fail_with[method]


class MemoryQueue:
    """``MessageQueue``: what was sent, with its delay and reason; redelivery delays by receipt handle."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []
        self.delayed: dict[str, float] = {}
        self.fail_with: Exception | None = None

    def send(self, messages: Sequence[OutgoingMessage]) -> None:
        if self.fail_with is not None and messages:
            raise self.fail_with
        self.sent.extend(messages)

    def send_each(self, messages: Sequence[OutgoingMessage]) -> list[bool]:
        if self.fail_with is not None:
            return [False] * len(messages)
        self.sent.extend(messages)
        return [True] * len(messages)

    def delay_redelivery(self, receipt_handle: str, seconds: float) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.delayed[receipt_handle] = seconds

    def send_text(self, body: str, reason: str) -> None:
        self.send([OutgoingMessage(body, 0, reason)])


@dataclass
class MemoryStateStore:
    """``StateStore``'s backfill side: watermarks, per-Page backoffs and lead-read counts."""

    watermarks: dict[str, int] = field(default_factory=dict)
    backoffs: dict[str, tuple[int, str]] = field(default_factory=dict)
    #: Lead reads counted per Page and UTC day.
    calls: dict[tuple[str, int], int] = field(default_factory=dict)

    def watermark(self, form_id: str) -> int | None:
        return self.watermarks.get(form_id)

    def advance_watermark(self, form_id: str, value: int) -> None:
        """Moves forward only, as the real conditional write does."""
        self.watermarks[form_id] = max(value, self.watermarks.get(form_id, value))

    def leadgen_calls(self, page_id: str, now: int) -> int:
        return self.calls.get((page_id, now // DAY), 0)

    def add_leadgen_calls(self, page_id: str, now: int, calls: int) -> int:
        day = (page_id, now // DAY)
        self.calls[day] = self.calls.get(day, 0) + calls
        return self.calls[day]

    def backoff_until(self, page_id: str) -> int:
        return self.backoffs.get(page_id, (0, ""))[0]

    def set_backoff(self, page_id: str, until: int, reason: str) -> None:
        self.backoffs[page_id] = (until, reason)


def bodies(queue: MemoryQueue) -> list[dict[str, Any]]:
    """The JSON bodies sent to ``queue``, in order."""
    return [json.loads(m.body) for m in queue.sent]
