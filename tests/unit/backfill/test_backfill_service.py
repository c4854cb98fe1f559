"""backfill(): each routed form read in time slices filtered on time_created, page by page, every new lead stored.

Meta's Graph API is the shared FakeGraph; LeadsTable and StateTable are the in-memory stand-ins.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from leadloop.backfill.service import BackfillDeps, BackfillReport, backfill
from leadloop.graph import (
    GraphAuthError,
    GraphResponse,
    GraphRetryableError,
    GraphThrottledError,
    GraphUsage,
)
from leadloop.graph.usage import BucUsage
from leadloop.leads.models import LEAD_FIELDS_PARAM, LeadStatus
from leadloop.leads.store import LeadOrigin
from leadloop.observability import metrics
from leadloop.routing import FormRoute
from tests.support.graph import FakeGraph, GraphCall, page_body
from tests.support.memory import DAY, MemoryLeadStore, MemoryStateStore, StoredLead

NOW = 1_790_000_000
PAGE, FORM, OTHER_FORM = "104", "205", "206"
LEADS = f"{FORM}/leads"


def lead(lead_id: str, **extra: Any) -> dict[str, Any]:
    """A lead as Meta lists it under ``/{form_id}/leads`` (no form_id unless asked for)."""
    return {
        "id": lead_id,
        "created_time": "2026-09-21T00:00:00+0000",
        "field_data": [{"name": "email", "values": [f"lead{lead_id}@example.com"]}],
    } | extra


def window(call: GraphCall) -> tuple[int, int]:
    """The ``time_created`` window a leads read asked for: (from, before)."""
    rules = {rule["operator"]: rule["value"] for rule in json.loads(call.params["filtering"])}
    assert {rule["field"] for rule in json.loads(call.params["filtering"])} == {"time_created"}
    return rules["GREATER_THAN_OR_EQUAL"], rules["LESS_THAN"]


@dataclass
class Rig:
    """One Page whose forms have no leads until a test gives Meta some; two days to look back."""

    graph: FakeGraph = field(default_factory=lambda: FakeGraph(otherwise=page_body([])))
    store: MemoryLeadStore = field(default_factory=MemoryLeadStore)
    state: MemoryStateStore = field(default_factory=MemoryStateStore)
    slept: list[float] = field(default_factory=list)
    routes: list[FormRoute] = field(default_factory=lambda: [FormRoute(form_id=FORM, page_id=PAGE)])

    def deps(self, **overrides: Any) -> BackfillDeps:
        values: dict[str, Any] = {
            "store": self.store,
            "state": self.state,
            "graph_for_page": lambda page_id: self.graph,
            "clock": lambda: float(NOW),
            "sleep": self.slept.append,
            "initial_lookback_seconds": 2 * DAY,
            "slice_seconds": DAY,
        }
        return BackfillDeps(**(values | overrides))

    def run(
        self, *, since: int | None = None, time_left: Callable[[], float] = lambda: 600.0, **overrides: Any
    ) -> BackfillReport:
        return backfill(self.routes, self.deps(**overrides), since=since, time_left=time_left)


@pytest.fixture(autouse=True)
def _clear_metrics() -> Iterator[None]:
    metrics.clear_metrics()
    yield
    metrics.clear_metrics()


# ---------------------------------------------------------------------- the window and its slices
def test_a_first_run_reads_the_initial_lookback_in_slices_filtered_on_time_created():
    # Given a form never backfilled, two days to look back and one-day slices
    rig = Rig()
    # When the backfill runs
    rig.run()
    # Then it read three ascending slices, the last one including the current second
    assert [window(call) for call in rig.graph.calls] == [
        (NOW - 2 * DAY, NOW - DAY),
        (NOW - DAY, NOW),
        (NOW, NOW + 1),
    ]


def test_each_read_asks_the_forms_leads_edge_for_the_lead_fields_a_page_at_a_time():
    # Given a form never backfilled
    rig = Rig()
    # When the backfill runs
    rig.run(page_size=25)
    # Then every read went to the form's leads edge with the lead fields and the page size
    first = rig.graph.calls[0]
    assert set(rig.graph.paths()) == {LEADS}
    assert first.params["fields"] == LEAD_FIELDS_PARAM
    assert first.params["limit"] == "25"


def test_a_later_run_starts_at_the_watermark_less_the_overlap():
    # Given a form backfilled up to an hour ago
    rig = Rig()
    rig.state.watermarks[FORM] = NOW - 3600
    # When the backfill runs
    rig.run(overlap_seconds=900)
    # Then it reads from the watermark less the overlap, in one slice, up to now
    assert [window(call) for call in rig.graph.calls] == [(NOW - 3600 - 900, NOW + 1)]


def test_an_on_demand_since_overrides_the_watermark():
    # Given a form backfilled up to an hour ago
    rig = Rig()
    rig.state.watermarks[FORM] = NOW - 3600
    # When an operator asks for the last ten minutes
    rig.run(since=NOW - 600)
    # Then the window starts where the operator said
    assert [window(call) for call in rig.graph.calls] == [(NOW - 600, NOW + 1)]


# ---------------------------------------------------------------------- storing what Meta lists
def test_each_listed_lead_is_stored_as_the_backfills_on_the_routed_page():
    # Given Meta lists two leads in the last slice
    rig = Rig()
    rig.graph.answers[LEADS] = lambda call: page_body([lead("901"), lead("902")] if window(call)[0] == NOW else [])
    # When the backfill runs
    report = rig.run()
    # Then both are stored as the backfill's, on the routed Page
    assert sorted(rig.store.stored()) == ["901", "902"]
    assert rig.store.leads["901"].source is LeadOrigin.BACKFILL
    assert rig.store.leads["901"].page_id == PAGE
    assert report.inserted == 2


def test_a_lead_listed_without_a_form_id_is_stored_under_the_routed_form():
    # Given Meta lists a lead without its form id
    rig = Rig()
    rig.graph.answers[LEADS] = page_body([lead("901")])
    # When the backfill runs
    rig.run(since=NOW - 60)
    # Then the stored lead carries the form it was listed under
    assert rig.store.stored()["901"].form_id == FORM


def test_a_lead_already_stored_is_seen_but_not_inserted_again():
    # Given the webhook already stored lead 901
    rig = Rig()
    rig.store.leads["901"] = StoredLead(LeadStatus.FETCHED, FORM, NOW - 60, source=LeadOrigin.WEBHOOK)
    rig.graph.answers[LEADS] = page_body([lead("901")])
    # When the backfill lists it again
    report = rig.run(since=NOW - 60)
    # Then it counts as seen, not inserted, and stays the webhook's
    [form] = report.forms
    assert form.leads_seen == 1
    assert form.leads_inserted == 0
    assert rig.store.leads["901"].source is LeadOrigin.WEBHOOK


def test_pages_are_followed_through_paging_next():
    # Given Meta lists a slice's leads on two pages
    rig = Rig()
    next_url = f"https://graph.facebook.com/v25.0/{LEADS}?after=CURSOR1&limit=100"

    def listing(call: GraphCall) -> dict[str, Any]:
        if call.params.get("after") == "CURSOR1":
            return page_body([lead("902")])
        return page_body([lead("901")], next_url=next_url, after="CURSOR1")

    rig.graph.answers[LEADS] = listing
    # When the backfill reads that slice
    report = rig.run(since=NOW - 60)
    # Then it followed the next link and stored the leads of both pages
    assert rig.graph.calls[1].params == {"after": "CURSOR1", "limit": "100"}
    assert report.forms[0].pages_read == 2
    assert sorted(rig.store.stored()) == ["901", "902"]


def test_a_lead_in_an_unexpected_shape_is_counted_and_skipped():
    # Given Meta lists one lead without its created_time next to a whole one
    rig = Rig()
    rig.graph.answers[LEADS] = page_body([{"id": "901", "field_data": []}, lead("902")])
    # When the backfill runs
    report = rig.run(since=NOW - 60)
    # Then the whole one is stored and the other counted as invalid
    assert list(rig.store.stored()) == ["902"]
    assert report.forms[0].invalid_leads == 1


# ---------------------------------------------------------------------- the watermark
def test_the_watermark_moves_to_the_end_of_the_window_once_every_slice_is_stored():
    # Given a form never backfilled
    rig = Rig()
    # When the backfill runs to the end
    report = rig.run()
    # Then the watermark is the end of the window, and the form is OK
    assert rig.state.watermarks[FORM] == NOW + 1
    assert report.forms[0].watermark == NOW + 1
    assert report.ok is True


def test_a_run_near_the_function_timeout_stops_after_the_last_whole_slice():
    # Given the function's time runs short after two slices
    rig = Rig()
    left = iter([600.0, 600.0, 10.0])
    # When the backfill runs
    report = rig.run(time_left=lambda: next(left))
    # Then it stops partial, and the watermark marks the end of the second slice so the next run resumes there
    assert report.forms[0].status == "partial"
    assert len(rig.graph.calls) == 2
    assert rig.state.watermarks[FORM] == NOW


# ---------------------------------------------------------------------- Meta's limits and errors
def test_a_throttle_records_the_pages_backoff_and_stops_the_form():
    # Given Meta throttles the Page for twenty minutes
    rig = Rig()
    rig.graph.answers[LEADS] = GraphThrottledError("too many calls", retry_after=1200.0, code=80005)
    # When the backfill runs
    report = rig.run()
    # Then the form stops throttled, the Page backs off as long as Meta said, and the watermark stays
    assert report.forms[0].status == "throttled"
    assert rig.state.backoff_until(PAGE) == NOW + 1200
    assert FORM not in rig.state.watermarks


def test_a_page_still_backing_off_is_not_read():
    # Given the Page backs off for another minute
    rig = Rig()
    rig.state.backoffs[PAGE] = (NOW + 60, "throttled")
    # When the backfill runs
    report = rig.run()
    # Then Meta is not called and the form reports the backoff
    assert rig.graph.calls == []
    assert report.forms[0].status == "throttled"


def test_a_transient_error_is_retried_after_a_short_sleep():
    # Given Meta fails the first read once
    rig = Rig()
    rig.graph.script = [GraphRetryableError("try later", code=2, http_status=500)]
    # When the backfill runs
    report = rig.run(since=NOW - 60)
    # Then the read was retried after two seconds and the form is OK
    assert rig.slept == [2.0]
    assert len(rig.graph.calls) == 2
    assert report.forms[0].status == "ok"


def test_a_transient_error_that_persists_fails_the_form_without_moving_the_watermark():
    # Given Meta keeps failing the read
    rig = Rig()
    rig.graph.answers[LEADS] = GraphRetryableError("try later", code=2, http_status=500)
    # When the backfill runs
    report = rig.run(since=NOW - 60)
    # Then it tried three times, waiting longer each time, and the form failed
    assert len(rig.graph.calls) == 3
    assert rig.slept == [2.0, 4.0]
    assert report.forms[0].status == "failed"
    assert FORM not in rig.state.watermarks


def test_a_token_failure_stops_the_form_without_a_retry():
    # Given Meta refuses the Page token
    rig = Rig()
    rig.graph.answers[LEADS] = GraphAuthError("Error validating access token", code=190, http_status=400)
    # When the backfill runs
    report = rig.run()
    # Then the form reports the auth failure after one call
    assert report.forms[0].status == "auth"
    assert len(rig.graph.calls) == 1


def test_one_form_failing_does_not_stop_the_others():
    # Given two forms of one Page, the first refused by Meta
    rig = Rig(routes=[FormRoute(form_id=FORM, page_id=PAGE), FormRoute(form_id=OTHER_FORM, page_id=PAGE)])
    rig.graph.answers[LEADS] = GraphAuthError("(#200) no Leads Access", code=200, http_status=403)
    rig.graph.answers[f"{OTHER_FORM}/leads"] = page_body([lead("902")])
    # When the backfill runs
    report = rig.run(since=NOW - 60)
    # Then the second form is still backfilled, and the run is not OK
    assert [f.status for f in report.forms] == ["auth", "ok"]
    assert list(rig.store.stored()) == ["902"]
    assert report.ok is False


def test_every_read_is_counted_against_the_pages_daily_budget():
    # Given a form never backfilled (three slices)
    rig = Rig()
    # When the backfill runs
    rig.run()
    # Then the Page's lead-read count for today is three
    assert rig.state.leadgen_calls(PAGE, NOW) == 3


def test_a_spent_daily_budget_stops_before_any_read():
    # Given a Page with no recent leads (a budget of half of 4800 reads) that already spent it today
    rig = Rig()
    rig.state.add_leadgen_calls(PAGE, NOW, 2400)
    # When the backfill runs
    report = rig.run()
    # Then Meta is not called and the form reports the budget
    assert rig.graph.calls == []
    assert report.forms[0].status == "budget"


def test_recent_leads_grow_the_daily_budget():
    # Given a Page with two leads in the last 90 days, that spent 2400 reads today
    rig = Rig()
    for lead_id in ("801", "802"):
        rig.store.leads[lead_id] = StoredLead(LeadStatus.FETCHED, FORM, NOW - DAY)
    rig.state.add_leadgen_calls(PAGE, NOW, 2400)
    # When the backfill runs
    report = rig.run(since=NOW - 60)
    # Then the budget (half of 4800 per recent lead) still allows the read
    assert report.forms[0].status == "ok"


def test_usage_near_metas_limit_backs_off_and_stops_before_the_next_page():
    # Given Meta's leadgen usage header at 80% on a first page that has a next one
    rig = Rig()
    usage = GraphUsage(business=(BucUsage(object_id=PAGE, type="leadgen", call_count=80.0),))
    body = page_body([lead("901")], next_url=f"https://graph.facebook.com/v25.0/{LEADS}?after=C1")
    rig.graph.answers[LEADS] = GraphResponse(status=200, data=body, usage=usage)
    # When the backfill runs
    report = rig.run(since=NOW - 60)
    # Then it keeps the page's lead, backs the Page off ten minutes and stops before reading on
    assert list(rig.store.stored()) == ["901"]
    assert rig.state.backoff_until(PAGE) == NOW + 600
    assert len(rig.graph.calls) == 1
    assert report.forms[0].status == "partial"
