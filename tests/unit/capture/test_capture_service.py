"""capture(): every notified lead recorded, read from Meta in the time left, stored, or queued with the reason.

Meta's Graph API is the shared FakeGraph; LeadsTable and the two queues are the in-memory stand-ins.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from leadloop.capture.service import AUTH_RETRY_DELAY_SECONDS, CaptureDeps, CaptureReport, capture
from leadloop.graph import GraphAuthError, GraphPermanentError, GraphRetryableError, GraphThrottledError
from leadloop.leads.models import LEAD_FIELDS_PARAM, LeadNotification, LeadStatus
from leadloop.leads.store import LeadOrigin, StoreError
from leadloop.observability import metrics
from leadloop.queues import QueueError
from tests.support.graph import FakeGraph, GraphCall
from tests.support.memory import MemoryLeadStore, MemoryQueue, bodies

T0 = 1_790_000_000
PAGE, OTHER_PAGE, FORM = "111", "333", "222"


def lead_answer(call: GraphCall) -> dict[str, Any]:
    """Meta's answer to a lead read: the lead whose id was asked for."""
    return {
        "id": call.path,
        "created_time": "2026-09-21T00:00:00+0000",
        "form_id": FORM,
        "field_data": [{"name": "email", "values": [f"lead{call.path}@example.com"]}],
    }


def note(lead_id: str, page_id: str = PAGE) -> LeadNotification:
    return LeadNotification(leadgen_id=lead_id, page_id=page_id, form_id=FORM, ad_id=None, created_time=T0 - 60)


@dataclass
class Rig:
    """One Graph per Page (each answering every lead read with the lead), LeadsTable, the two queues."""

    graphs: dict[str | None, FakeGraph] = field(default_factory=dict)
    store: MemoryLeadStore = field(default_factory=MemoryLeadStore)
    retries: MemoryQueue = field(default_factory=MemoryQueue)
    parked: MemoryQueue = field(default_factory=MemoryQueue)
    pages_asked: list[str | None] = field(default_factory=list)

    def graph(self, page_id: str | None = PAGE) -> FakeGraph:
        return self.graphs.setdefault(page_id, FakeGraph(otherwise=lead_answer))

    def graph_for_page(self, page_id: str | None) -> FakeGraph:
        self.pages_asked.append(page_id)
        return self.graph(page_id)

    def deps(self) -> CaptureDeps:
        return CaptureDeps(
            store=self.store,  # type: ignore[arg-type]
            graph_for_page=self.graph_for_page,  # type: ignore[arg-type]
            retry_queue=self.retries,  # type: ignore[arg-type]
            dead_letters=self.parked,  # type: ignore[arg-type]
            clock=lambda: float(T0),
            base_retry_delay=30,
        )

    def capture(self, *notes: LeadNotification, seconds_left: float = 5.0) -> CaptureReport:
        return capture(list(notes), self.deps(), deadline=T0 + seconds_left)


@pytest.fixture(autouse=True)
def _clear_metrics() -> Iterator[None]:
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


# ---------------------------------------------------------------------- a lead Meta returns
def test_a_notified_lead_is_read_and_stored_with_its_answers():
    # Given Meta returns lead 901
    rig = Rig()
    # When its notification is captured
    report = rig.capture(note("901"))
    # Then the lead is stored with Meta's answers
    assert report.stored == 1
    assert rig.store.stored()["901"].field_data[0].values == ["lead901@example.com"]


def test_a_stored_lead_keeps_the_webhook_as_its_source_and_the_notified_page():
    # Given Meta returns lead 901
    rig = Rig()
    # When its notification is captured
    rig.capture(note("901"))
    # Then the lead is recorded as the webhook's, on the notified Page
    assert rig.store.leads["901"].source is LeadOrigin.WEBHOOK
    assert rig.store.leads["901"].page_id == PAGE


def test_a_lead_is_read_with_its_pages_client_asking_for_the_lead_fields():
    # Given Meta returns lead 901
    rig = Rig()
    # When its notification is captured
    rig.capture(note("901"))
    # Then the lead was read once, by id, with the Page's own client and the lead fields
    assert rig.pages_asked == [PAGE]
    assert rig.graph(PAGE).calls == [("GET", "901", {"fields": LEAD_FIELDS_PARAM})]


def test_a_stored_lead_leaves_nothing_queued():
    # Given Meta returns lead 901
    rig = Rig()
    # When its notification is captured
    report = rig.capture(note("901"))
    # Then nothing waits for a retry and nothing is parked
    assert rig.retries.sent == []
    assert rig.parked.sent == []
    assert report.queued_for_retry == 0


def test_leads_of_two_pages_are_read_each_with_its_pages_client():
    # Given one lead on each of two Pages
    rig = Rig()
    # When both notifications are captured
    report = rig.capture(note("901"), note("902", page_id=OTHER_PAGE))
    # Then each Page's client read its own lead, and both are stored
    assert rig.graph(PAGE).paths() == ["901"]
    assert rig.graph(OTHER_PAGE).paths() == ["902"]
    assert report.stored == 2


# ---------------------------------------------------------------------- duplicates
def test_a_resent_notification_neither_reads_nor_stores_the_lead_again():
    # Given lead 901 was captured once
    rig = Rig()
    rig.capture(note("901"))
    # When Meta sends the same notification again
    report = rig.capture(note("901"))
    # Then it counts as already stored, and Meta was read only the first time
    assert report.already_stored == 1
    assert report.stored == 0
    assert rig.graph().paths() == ["901"]


def test_a_resent_notification_is_still_recorded():
    # Given lead 901 was captured once
    rig = Rig()
    rig.capture(note("901"))
    # When Meta sends the same notification again
    rig.capture(note("901"))
    # Then both notifications are counted on the stored lead
    assert rig.store.leads["901"].notifications == 2
    assert rig.store.leads["901"].status is LeadStatus.FETCHED


def test_the_same_lead_twice_in_one_post_is_stored_once():
    # Given one webhook POST that names lead 901 twice
    rig = Rig()
    # When it is captured
    report = rig.capture(note("901"), note("901"))
    # Then the lead is stored once and the second copy counts as already stored
    assert report.stored == 1
    assert report.already_stored == 1


def test_a_lead_stored_by_another_path_meanwhile_counts_as_already_stored():
    # Given the backfill stores lead 901 while the webhook reads it
    rig = Rig()

    def stored_meanwhile(call: GraphCall) -> dict[str, Any]:
        rig.store.leads["901"].status = LeadStatus.FETCHED
        return lead_answer(call)

    rig.graph().answers["901"] = stored_meanwhile
    # When the notification is captured
    report = rig.capture(note("901"))
    # Then the webhook does not count it as its own
    assert report.already_stored == 1
    assert report.stored == 0


# ---------------------------------------------------------------------- Graph errors
def test_a_transient_error_queues_the_lead_for_a_retry_after_a_jittered_backoff():
    # Given Meta answers lead 901 with a transient error
    rig = Rig()
    rig.graph().answers["901"] = GraphRetryableError("Service temporarily unavailable", code=2, http_status=503)
    # When its notification is captured
    report = rig.capture(note("901"))
    # Then one retry is queued: one attempt spent, the reason's code, the base delay ±20%
    [queued] = rig.retries.sent
    body = bodies(rig.retries)[0]
    assert body["leadgen_id"] == "901"
    assert body["attempts"] == 1
    assert "code=2" in body["reason"]
    assert 24 <= queued.delay_seconds <= 36
    assert report.queued_for_retry == 1


def test_a_transient_error_keeps_the_lead_pending_with_the_failure_noted():
    # Given Meta answers lead 901 with a transient error
    rig = Rig()
    rig.graph().answers["901"] = GraphRetryableError("Service temporarily unavailable", code=2, http_status=503)
    # When its notification is captured
    rig.capture(note("901"))
    # Then the lead stays PENDING, its failure noted as not final, and nothing is parked
    assert rig.store.leads["901"].status is LeadStatus.PENDING
    [(reason, final)] = rig.store.leads["901"].failures
    assert "code=2" in reason
    assert final is False
    assert rig.parked.sent == []


def test_a_throttled_read_waits_as_long_as_meta_says_without_spending_an_attempt():
    # Given Meta throttles the read of lead 901 and names a ten-minute wait
    rig = Rig()
    rig.graph().answers["901"] = GraphThrottledError("too many calls", retry_after=600.0, code=80005, http_status=400)
    # When its notification is captured
    rig.capture(note("901"))
    # Then the queued copy carries the wait (up to 10% more) and no spent attempt
    [queued] = rig.retries.sent
    body = bodies(rig.retries)[0]
    assert body["attempts"] == 0
    assert body["throttled"] == 1
    assert T0 + 600 <= body["not_before"] <= T0 + 660
    assert queued.delay_seconds == body["not_before"] - T0


def test_a_throttled_read_starts_the_throttle_ceiling_at_the_first_notification():
    # Given Meta throttles the read of lead 901
    rig = Rig()
    rig.graph().answers["901"] = GraphThrottledError("too many calls", retry_after=60.0, code=80005, http_status=400)
    # When its notification is captured
    rig.capture(note("901"))
    # Then the queued copy says when the lead was first notified
    assert bodies(rig.retries)[0]["first_notified_at"] == T0


def test_a_token_failure_keeps_the_lead_queued_until_it_is_fixed():
    # Given Meta refuses the Page token
    rig = Rig()
    rig.graph().answers["901"] = GraphAuthError("Error validating access token", code=190, http_status=400)
    # When the notification is captured
    report = rig.capture(note("901"))
    # Then the lead is queued for the auth delay, not parked, and stays PENDING
    [queued] = rig.retries.sent
    assert queued.delay_seconds == AUTH_RETRY_DELAY_SECONDS
    assert report.parked == 0
    assert rig.store.leads["901"].status is LeadStatus.PENDING


def test_a_lead_meta_will_never_return_is_parked_with_the_reason():
    # Given Meta says lead 901 does not exist
    rig = Rig()
    rig.graph().answers["901"] = GraphPermanentError("Unsupported get request", code=100, subcode=33, http_status=400)
    # When its notification is captured
    report = rig.capture(note("901"))
    # Then it goes to FetchRetryDLQ at once, with one attempt and Meta's codes as the reason
    [parked] = rig.parked.sent
    body = bodies(rig.parked)[0]
    assert parked.delay_seconds == 0
    assert body["attempts"] == 1
    assert "code=100" in body["reason"]
    assert report.parked == 1
    assert rig.retries.sent == []


def test_a_parked_lead_is_marked_failed():
    # Given Meta says lead 901 does not exist
    rig = Rig()
    rig.graph().answers["901"] = GraphPermanentError("Unsupported get request", code=100, subcode=33, http_status=400)
    # When its notification is captured
    rig.capture(note("901"))
    # Then LeadsTable marks it FAILED
    assert rig.store.leads["901"].status is LeadStatus.FAILED


def test_an_answer_for_another_lead_is_parked_not_stored():
    # Given Meta answers the read of lead 901 with lead 999
    rig = Rig()
    rig.graph().answers["901"] = lambda call: lead_answer(call._replace(path="999"))
    # When the notification is captured
    report = rig.capture(note("901"))
    # Then nothing is stored and the lead is parked
    assert rig.store.stored() == {}
    assert report.parked == 1


def test_one_failed_lead_does_not_hold_back_its_neighbours():
    # Given Meta returns lead 901 and fails lead 902
    rig = Rig()
    rig.graph().answers["902"] = GraphRetryableError("try later", code=2, http_status=500)
    # When both are captured in one POST
    report = rig.capture(note("901"), note("902"))
    # Then 901 is stored and only 902 is queued
    assert list(rig.store.stored()) == ["901"]
    assert [b["leadgen_id"] for b in bodies(rig.retries)] == ["902"]
    assert report.stored == 1


# ---------------------------------------------------------------------- the time budget
def test_leads_not_read_before_the_deadline_are_queued_unread():
    # Given less than the minimum read window is left of the webhook's budget
    rig = Rig()
    # When a notification is captured
    report = rig.capture(note("901"), seconds_left=0.1)
    # Then Meta is not called, the stub is recorded, and the lead is queued at once with no attempt spent
    assert rig.pages_asked == []
    assert rig.store.leads["901"].status is LeadStatus.PENDING
    [queued] = rig.retries.sent
    body = bodies(rig.retries)[0]
    assert queued.delay_seconds == 0
    assert body["attempts"] == 0
    assert body["reason"] == "webhook time budget spent"
    assert report.queued_for_retry == 1


# ---------------------------------------------------------------------- store and queue failures
def test_a_failed_save_queues_the_lead_for_a_retry():
    # Given LeadsTable refuses to store the fetched lead
    rig = Rig()
    rig.store.fail_with["save_fetched"] = StoreError("writing a lead failed: ProvisionedThroughputExceeded")
    # When the notification is captured
    report = rig.capture(note("901"))
    # Then the lead is queued after the base delay, with the store's reason
    [queued] = rig.retries.sent
    body = bodies(rig.retries)[0]
    assert queued.delay_seconds == 30
    assert body["attempts"] == 1
    assert "ProvisionedThroughputExceeded" in body["reason"]
    assert report.queued_for_retry == 1


def test_a_notification_that_cannot_be_recorded_fails_the_capture_before_any_read():
    # Given LeadsTable refuses the notification stubs
    rig = Rig()
    rig.store.fail_with["record_notifications"] = StoreError("recording notifications failed")
    # When / Then the capture raises (so the webhook answers 5xx and Meta resends), and Meta is not read
    with pytest.raises(StoreError):
        rig.capture(note("901"))
    assert rig.pages_asked == []


def test_a_retry_that_cannot_be_queued_fails_the_capture():
    # Given a transient Graph error and a FetchRetryQueue that refuses messages
    rig = Rig()
    rig.graph().answers["901"] = GraphRetryableError("try later", code=2, http_status=500)
    rig.retries.fail_with = QueueError("sending to FetchRetryQueue failed")
    # When / Then the capture raises, so the lead is not lost: Meta resends the webhook
    with pytest.raises(QueueError):
        rig.capture(note("901"))
