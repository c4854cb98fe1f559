"""Several Pages, each with its own token in MetaSecret: capture, backfill and health work per Page.

Page B's token can read only Page B (the simulator refuses a token for another Page with 200), so
every lead of Page B that reaches LeadsTable proves that Page B's token was used for it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.context import FakeContext
from tests.support.events import api_event, sign
from tests.support.moto_stack import APP_ID, APP_SECRET, FORM_ID, PAGE_ID, PAGE_TOKEN, VERIFY_TOKEN, Env, answers

PAGE_B = "104000000000002"
FORM_B = "205000000000002"
TOKEN_B = "EAAB-itest-page-b-token"


@pytest.fixture
def two_pages(env: Env) -> Iterator[Env]:
    env.sim.add_page(PAGE_B, TOKEN_B)
    env.sim.add_form(FORM_B, PAGE_B)
    for page in (PAGE_ID, PAGE_B):
        env.sim.set_page_subscribed_fields(page, ["leadgen"])
    env.client("secretsmanager").put_secret_value(
        SecretId=env.resource("MetaSecret"),
        SecretString=json.dumps(
            {
                "app_id": APP_ID,
                "app_secret": APP_SECRET,
                "verify_token": VERIFY_TOKEN,
                "access_token": PAGE_TOKEN,
                "page_access_tokens": {PAGE_B: TOKEN_B},
            }
        ),
    )
    routing = {
        "version": 1,
        "forms": [{"form_id": FORM_ID, "page_id": PAGE_ID}, {"form_id": FORM_B, "page_id": PAGE_B}],
    }
    env.client("ssm").put_parameter(
        Name=env.resource("RoutingParameter"), Value=json.dumps(routing), Type="String", Overwrite=True
    )
    yield env


def two_page_body(lead_a: str, lead_b: str) -> bytes:
    now = int(time.time())

    def entry(page: str, form: str, lead: str) -> dict[str, Any]:
        value = {"leadgen_id": int(lead), "page_id": int(page), "form_id": int(form), "created_time": now}
        return {"id": page, "time": now, "changes": [{"field": "leadgen", "value": value}]}

    return json.dumps(
        {"object": "page", "entry": [entry(PAGE_ID, FORM_ID, lead_a), entry(PAGE_B, FORM_B, lead_b)]}
    ).encode()


def test_one_webhook_post_for_two_pages_fetches_each_lead_with_its_pages_token(two_pages: Env):
    lead_a = two_pages.sim.create_lead(PAGE_ID, FORM_ID, answers(1))
    lead_b = two_pages.sim.create_lead(PAGE_B, FORM_B, answers(2))
    fn = two_pages.use_function("LeadFetchFunction")
    body = two_page_body(lead_a, lead_b)
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)}
    answer = fn.handler(api_event("POST", body=body, headers=headers), FakeContext())

    assert answer["statusCode"] == 200
    for lead, page, n in ((lead_a, PAGE_ID, 1), (lead_b, PAGE_B, 2)):
        item = two_pages.lead(lead)
        assert item is not None and item["status"] == "FETCHED" and item["page_id"] == page
        assert item["field_data"] == answers(n)
    refused = [c for c in two_pages.sim.calls() if c.get("status") == 403 or c.get("error_code") == 200]
    assert refused == []  # no read went out with the wrong Page's token


def test_the_backfill_reads_each_pages_forms_with_that_pages_token(two_pages: Env):
    lead_b = two_pages.sim.create_lead(PAGE_B, FORM_B, answers(3))
    fn = two_pages.use_function("BackfillFunction")
    report = fn.handler({"form_ids": [FORM_B]}, FakeContext(60))
    assert report["inserted"] == 1, report
    item = two_pages.lead(lead_b)
    assert item is not None and item["status"] == "FETCHED" and item["source"] == "backfill"


def test_health_checks_each_page_and_names_only_the_broken_one(two_pages: Env):
    fn = two_pages.use_function("HealthCheckFunction")
    healthy = fn.handler({}, FakeContext(120))
    tokens = {f["subject"]: f["status"] for f in healthy["findings"] if f["check"] == "token"}
    assert tokens == {f"page {PAGE_ID}": "ok", f"page {PAGE_B}": "ok"}

    two_pages.sim.set_token_state(TOKEN_B, is_valid=False)
    two_pages.sim.set_page_subscribed_fields(PAGE_B, [])
    broken = fn.handler({}, FakeContext(120))
    failing = sorted((f["check"], f["subject"]) for f in broken["findings"] if f["status"] == "fail")
    assert failing == [
        ("lead_read", f"form {FORM_B}"),
        ("subscription", f"page {PAGE_B}"),
        ("token", f"page {PAGE_B}"),
    ]
    assert TOKEN_B not in json.dumps(broken)


# ---------------------------------------------------------------- one Page slow: the deadline holds
def _slow_first_read(env: Env, latency_ms: int) -> None:
    import requests

    fault = {"method": "POST", "path": r"^/v\d+\.\d+/?$", "latency_ms": latency_ms, "times": 1}
    assert requests.post(f"{env.sim.base_url}/_sim/faults", json=fault, timeout=5).status_code == 200


def _reads_for(env: Env, lead: str) -> int:
    return sum(lead in json.dumps(c) for c in env.sim.calls())


def test_a_slow_page_spends_the_webhook_budget_and_the_next_page_is_queued_unread(two_pages: Env):
    lead_a = two_pages.sim.create_lead(PAGE_ID, FORM_ID, answers(3))
    lead_b = two_pages.sim.create_lead(PAGE_B, FORM_B, answers(4))
    _slow_first_read(two_pages, 2500)
    fn = two_pages.use_function("LeadFetchFunction", WEBHOOK_RESPONSE_BUDGET_SECONDS="1")
    body = two_page_body(lead_a, lead_b)
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)}
    assert fn.handler(api_event("POST", body=body, headers=headers), FakeContext())["statusCode"] == 200

    queued = {json.loads(m["Body"])["leadgen_id"]: json.loads(m["Body"]) for m in two_pages.messages("FetchRetryQueue")}
    assert set(queued) == {lead_a, lead_b}
    assert queued[lead_b]["reason"] == "webhook time budget spent"
    assert _reads_for(two_pages, lead_b) == 0  # never read after the budget was spent


def test_the_retry_consumer_stops_reading_before_the_function_times_out(two_pages: Env):
    from leadloop.capture.retry_consumer import SETTLE_MARGIN_SECONDS
    from tests.support.events import sqs_event

    lead_a = two_pages.sim.create_lead(PAGE_ID, FORM_ID, answers(5))
    lead_b = two_pages.sim.create_lead(PAGE_B, FORM_B, answers(6))
    fn = two_pages.use_function("LeadFetchFunction", WEBHOOK_RESPONSE_BUDGET_SECONDS="1")
    _slow_first_read(two_pages, 2500)
    body = two_page_body(lead_a, lead_b)
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)}
    fn.handler(api_event("POST", body=body, headers=headers), FakeContext())
    messages = two_pages.messages("FetchRetryQueue")
    assert len(messages) == 2

    _slow_first_read(two_pages, 2500)
    answer = fn.handler(sqs_event(two_pages, messages), FakeContext(SETTLE_MARGIN_SECONDS + 1))
    failed = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
    by_lead = {json.loads(m["Body"])["leadgen_id"]: m["MessageId"] for m in messages}
    assert by_lead[lead_b] in failed  # reported, so SQS brings it back; not lost, not read late
    assert _reads_for(two_pages, lead_b) == 0
    assert two_pages.lead(lead_b)["status"] == "PENDING"
