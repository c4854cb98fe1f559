"""Throttling is not failure: a throttled lead waits as long as Meta says and keeps its attempts.

Each scenario runs the webhook's capture and then FetchRetryQueue on a simulated clock, with SQS's
delay cap, visibility timeouts, receive counts and the template's redrive (maxReceiveCount 25).
"""

from __future__ import annotations

from leadloop.capture.messages import FetchRetryMessage
from leadloop.capture.service import capture, retry_fetches
from leadloop.graph import GraphError, GraphRetryableError, GraphThrottledError
from leadloop.leads.models import LeadNotification, LeadStatus
from leadloop.queues import OutgoingMessage

from .fakes import DAY, T0, Rig

LEAD = "120241202673250160"
NOTE = LeadNotification(leadgen_id=LEAD, page_id="111", form_id="222", ad_id=None, created_time=int(T0))


def throttled(wait: float = 60.0, code: int = 80005) -> GraphThrottledError:
    return GraphThrottledError("too many calls", retry_after=wait, code=code, http_status=400)


def transient() -> GraphRetryableError:
    return GraphRetryableError("try later", code=2, http_status=500)


def throttled_until(end: float, wait: float = 60.0):
    def behaviour(now: float, call: int) -> GraphError | None:
        return throttled(wait) if now < end else None

    return behaviour


def notify(rig: Rig, **overrides) -> None:
    capture([NOTE], rig.deps(**overrides), deadline=rig.clock.now + 3)


def test_three_days_of_throttling_neither_spends_attempts_nor_trips_the_redrive():
    rig = Rig(throttled_until(T0 + 3 * DAY))
    notify(rig)
    rig.drain(until=T0 + 4 * DAY)
    assert rig.store.status[LEAD] == "FETCHED"
    assert rig.dlq.sent == [] and rig.queue.redriven == []
    assert rig.queue.max_receives_seen == 1
    # Waits grow while Meta names none (60 s doubling to an hour): a few dozen reads, not thousands
    assert 72 <= len(rig.graph.calls) <= 90
    assert rig.graph.times[-1] - T0 >= 3 * DAY


def test_a_wait_meta_names_is_kept_in_full_without_a_read_in_between():
    six_hours = 6 * 3600
    rig = Rig(throttled_until(T0 + six_hours, wait=six_hours))
    notify(rig)
    rig.drain(until=T0 + DAY)
    assert rig.store.status[LEAD] == "FETCHED"
    first, second = rig.graph.times
    assert six_hours <= second - first <= six_hours * 1.1 + 60
    assert rig.dlq.sent == [] and rig.queue.max_receives_seen == 1


def test_the_message_carries_the_wait_the_first_notification_and_no_spent_attempt():
    rig = Rig(throttled_until(T0 + DAY, wait=1800))
    notify(rig)
    [body] = rig.queue.bodies()
    assert body["attempts"] == 0 and body["throttled"] == 1
    assert body["first_notified_at"] == int(T0)
    assert T0 + 1800 <= body["not_before"] <= T0 + 1800 * 1.1 + 1
    assert "code=80005" in body["reason"]
    assert rig.queue.next_visible() == T0 + 900  # SQS delays 15 minutes at most; the rest is carried


def test_sustained_throttling_parks_the_lead_at_the_ceiling_with_the_reason():
    rig = Rig(lambda now, call: throttled())
    notify(rig)
    rig.drain(until=T0 + 30 * DAY, max_throttle_wait_seconds=7 * DAY)
    [parked] = rig.dlq.sent
    assert "throttled" in parked.reason and "7 days" in parked.reason and "code=80005" in parked.reason
    assert T0 + 7 * DAY <= rig.graph.times[-1] <= T0 + 7 * DAY + 3600 * 1.1 + 900
    assert rig.store.status[LEAD] == "FAILED"
    assert rig.queue.held == {} and rig.queue.redriven == []
    # A replay from the DLQ starts a new wait: the parked copy carries no wait bookkeeping
    body = parked.body
    assert '"first_notified_at":null' in body and '"not_before":null' in body


def test_failures_between_throttles_still_spend_attempts():
    def behaviour(now: float, call: int) -> GraphError | None:
        return throttled() if call % 2 else transient()

    rig = Rig(behaviour, max_attempts=4)
    notify(rig)
    rig.drain(until=T0 + DAY)
    [parked] = rig.dlq.bodies()
    assert parked["attempts"] == 4 and len(rig.graph.calls) == 8
    assert rig.queue.redriven == []


def test_a_message_queued_before_the_wait_was_carried_starts_its_ceiling_when_first_throttled():
    rig = Rig(throttled_until(T0 + 3600))
    old = FetchRetryMessage(leadgen_id=LEAD, page_id="111", attempts=3, reason="graph error code=2")
    rig.store.status[LEAD] = LeadStatus.PENDING
    rig.queue.send([OutgoingMessage(old.model_dump_json(exclude={"first_notified_at", "not_before", "throttled"}))])
    rig.queue.receive()  # a receive before this one: counted like any other
    rig.clock.now += 180
    batch = rig.queue.receive()
    rig.queue.settle(batch, retry_fetches(batch, rig.deps()))
    [body] = rig.queue.bodies()
    assert body["attempts"] == 4 and body["first_notified_at"] == int(rig.clock.now) and body["throttled"] == 1


def test_when_the_fresh_copy_is_refused_the_received_one_is_kept_hidden_for_the_wait():
    rig = Rig(throttled_until(T0 + DAY, wait=600))
    notify(rig)
    rig.clock.now = rig.queue.next_visible() or 0
    [item] = rig.queue.receive()
    rig.queue.refuse_sends = True
    assert retry_fetches([item], rig.deps()) == {item.message_id}
    [held] = rig.queue.held.values()
    assert held.visible_at - rig.clock.now >= 600 and rig.dlq.sent == []
