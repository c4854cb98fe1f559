"""BackfillFunction on moto + the Graph simulator."""

from __future__ import annotations

import json

import pytest
import requests

from tests.support.context import FakeContext
from tests.support.events import EVENTS, sign, webhook_body
from tests.support.moto_stack import FORM_ID, PAGE_ID, Env, answers

#: What EventBridge Scheduler hands the function: the schedule's Input itself.
SCHEDULE_EVENT = json.loads((EVENTS / "schedule_backfill.json").read_text())


def state_item(env: Env, pk: str, sk: str) -> dict | None:
    return (
        env.client("dynamodb")
        .get_item(TableName=env.resource("StateTable"), Key={"pk": {"S": pk}, "sk": {"S": sk}})
        .get("Item")
    )


def fault(env: Env, **spec) -> None:
    assert requests.post(f"{env.sim.base_url}/_sim/faults", json=spec, timeout=5).status_code == 200


def test_backfill_stores_only_missing_leads_and_advances_the_watermark(env: Env):
    # Given three leads at Meta, one of which the webhook already stored
    fetch = env.use_function("LeadFetchFunction")
    ids = [env.sim.create_lead(PAGE_ID, FORM_ID, answers(n)) for n in range(3)]
    from tests.support.events import api_event

    body = webhook_body(ids[0])
    fetch.handler(api_event("POST", body=body, headers={"X-Hub-Signature-256": sign(body)}), FakeContext())
    backfill = env.use_function("BackfillFunction", BACKFILL_PAGE_SIZE="2")
    # When the scheduled backfill runs
    report = backfill.handler(SCHEDULE_EVENT, FakeContext(300))
    # Then the two missing leads are inserted, read over several pages, and marked as backfill finds
    assert report["ok"] is True and report["inserted"] == 2
    [form] = report["forms"]
    assert form["leads_seen"] == 3 and form["pages_read"] >= 2
    for n, lead_id in enumerate(ids):
        item = env.lead(lead_id)
        assert item["status"] == "FETCHED" and item["field_data"] == answers(n)
    assert {env.lead(i)["source"] for i in ids[1:]} == {"backfill"}
    assert env.lead(ids[0])["source"] == "webhook"
    watermark = state_item(env, f"form#{FORM_ID}", "watermark")
    assert int(watermark["value"]["N"]) == form["until"]
    # And a second run starts at the watermark (minus the overlap) and inserts nothing
    again = backfill.handler({"trigger": "schedule"}, FakeContext(300))
    assert again["inserted"] == 0
    assert again["forms"][0]["since"] == form["until"] - 900


def test_the_schedule_fixture_is_the_templates_schedule_input(env: Env):
    events = env.result.functions["BackfillFunction"].events
    [schedule] = [e for e in events.values() if e["Type"] == "ScheduleV2"]
    assert json.loads(schedule["Properties"]["Input"]) == SCHEDULE_EVENT


def test_filtering_and_paging_reach_meta_as_documented(env: Env):
    env.sim.create_lead(PAGE_ID, FORM_ID, answers(1))
    backfill = env.use_function("BackfillFunction")
    backfill.handler({"form_ids": [FORM_ID], "since": "2026-01-01T00:00:00Z"}, FakeContext(300))
    reads = [c for c in env.sim.calls() if c["path"].endswith(f"/{FORM_ID}/leads")]
    assert reads and all(c["status"] == 200 for c in reads)


def test_throttling_records_a_backoff_and_the_next_run_waits(env: Env):
    env.sim.create_lead(PAGE_ID, FORM_ID, answers(1))
    fault(
        env,
        path=rf"/{FORM_ID}/leads",
        status=400,
        error={"code": 80005, "message": "There have been too many leadgen api calls"},
    )
    backfill = env.use_function("BackfillFunction")
    report = backfill.handler({"trigger": "schedule"}, FakeContext(300))
    assert report["ok"] is False and report["forms"][0]["status"] == "throttled"
    assert state_item(env, f"page#{PAGE_ID}", "backoff") is not None
    assert state_item(env, f"form#{FORM_ID}", "watermark") is None
    calls_before = len(env.sim.calls())
    second = backfill.handler({"trigger": "schedule"}, FakeContext(300))
    assert second["forms"][0]["status"] == "throttled"
    assert len(env.sim.calls()) == calls_before


def test_the_daily_lead_read_budget_is_respected(env: Env):
    env.sim.create_lead(PAGE_ID, FORM_ID, answers(1))
    # 4800 x max(1, 0 recent leads stored) x 0.0002 = 0 calls allowed
    backfill = env.use_function("BackfillFunction", LEADGEN_BUDGET_FRACTION="0.0002")
    report = backfill.handler({"trigger": "schedule"}, FakeContext(300))
    assert report["forms"][0]["status"] == "budget"
    assert env.sim.calls() == []


def test_a_transient_error_is_retried_within_the_run(env: Env, monkeypatch: pytest.MonkeyPatch):
    lead_id = env.sim.create_lead(PAGE_ID, FORM_ID, answers(1))
    fault(env, path=rf"/{FORM_ID}/leads", status=500, error={"code": 2, "is_transient": True}, times=1)
    backfill = env.use_function("BackfillFunction")
    from leadloop.backfill import wiring

    monkeypatch.setattr(wiring.backfill_deps(), "sleep", lambda _s: None)
    report = backfill.handler({"trigger": "schedule"}, FakeContext(300))
    assert report["ok"] is True and env.lead(lead_id)["status"] == "FETCHED"


def test_token_failure_stops_the_form_without_moving_the_watermark(env: Env):
    env.sim.create_lead(PAGE_ID, FORM_ID, answers(1))
    fault(env, path=rf"/{FORM_ID}/leads", status=400, error={"code": 190, "error_subcode": 463, "message": "expired"})
    report = env.use_function("BackfillFunction").handler({"trigger": "schedule"}, FakeContext(300))
    assert report["forms"][0]["status"] == "auth" and "code=190" in report["forms"][0]["detail"]
    assert state_item(env, f"form#{FORM_ID}", "watermark") is None


def test_an_unrouted_form_is_reported_and_a_bad_request_refused(env: Env):
    backfill = env.use_function("BackfillFunction")
    report = backfill.handler({"form_ids": ["999"]}, FakeContext(300))
    assert report["ok"] is False and report["unknown_form_ids"] == ["999"]
    with pytest.raises(ValueError, match="invalid backfill request"):
        backfill.handler({"form_ids": "all", "extra": 1}, FakeContext(300))


def test_the_run_stops_before_the_function_times_out(env: Env):
    env.sim.create_lead(PAGE_ID, FORM_ID, answers(1))
    report = env.use_function("BackfillFunction").handler({"trigger": "schedule"}, FakeContext(5))
    assert report["forms"][0]["status"] == "partial"
    assert json.dumps(report)  # the report is plain JSON for the CLI
