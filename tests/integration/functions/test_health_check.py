"""HealthCheckFunction on moto + the Graph simulator: every check healthy, then each precondition broken.

The simulator breaks what Meta would (a dead or expiring token, a missing scope, the Page dropping
our app, Leads Access withdrawn, the app in development mode, a flagged or expiring audience); the
function must name the problem and what to do, record it, and alert through AlertsTopic without
ever printing a token.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.context import FakeContext
from tests.support.moto_stack import APP_ID, APP_SECRET, AUDIENCE_ID, FORM_ID, PAGE_ID, PAGE_TOKEN, Env

ACCOUNT_ID = "act_300000000000001"


@pytest.fixture
def hc(env: Env) -> Iterator[Env]:
    env.sim.add_ad_account(ACCOUNT_ID)
    env.sim.add_audience(AUDIENCE_ID, ACCOUNT_ID)
    env.sim.set_page_subscribed_fields(PAGE_ID, ["leadgen"])
    yield env


def alerts_queue(env: Env) -> str:
    """An SQS queue subscribed to AlertsTopic, to read what operators would receive."""
    sqs, sns = env.client("sqs"), env.client("sns")
    url = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=env.resource("AlertsTopic"), Protocol="sqs", Endpoint=arn)
    return str(url)


def alerts(env: Env, url: str) -> list[dict[str, str]]:
    got = env.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in got]


def run(env: Env, event: dict[str, Any] | None = None) -> dict[str, Any]:
    module = env.use_function("HealthCheckFunction")
    answer: dict[str, Any] = module.handler(event or {"trigger": "schedule"}, FakeContext(120))
    assert PAGE_TOKEN not in json.dumps(answer) and APP_SECRET not in json.dumps(answer)
    return answer


def finding(answer: dict[str, Any], check: str, subject: str | None = None) -> dict[str, Any]:
    matches = [f for f in answer["findings"] if f["check"] == check and (subject is None or f["subject"] == subject)]
    assert len(matches) == 1, answer["findings"]
    return matches[0]


def put_lead(env: Env, leadgen_id: str, *, source: str) -> None:
    env.client("dynamodb").put_item(
        TableName=env.resource("LeadsTable"),
        Item={
            "leadgen_id": {"S": leadgen_id},
            "form_id": {"S": FORM_ID},
            "page_id": {"S": PAGE_ID},
            "status": {"S": "FETCHED"},
            "source": {"S": source},
            "created_time": {"N": str(int(time.time()) - 3600)},
        },
    )


def test_a_healthy_setup_passes_every_check_and_records_it(hc: Env):
    inbox = alerts_queue(hc)
    answer = run(hc)
    assert answer["status"] == "ok", answer["findings"]
    assert {f["check"] for f in answer["findings"]} == {
        "token",
        "subscription",
        "lead_read",
        "audience",
        "webhook_drift",
    }
    latest = hc.client("dynamodb").get_item(
        TableName=hc.resource("StateTable"), Key={"pk": {"S": "health"}, "sk": {"S": "latest"}}
    )["Item"]
    assert latest["status"]["S"] == "ok"
    assert alerts(hc, inbox) == []


@dataclass(frozen=True)
class Broken:
    name: str
    breaker: Callable[[Env], object]
    check: str
    status: str
    detail: str  # words in the finding's detail
    action: str  # words in what to do


BROKEN = [
    Broken(
        "token invalid",
        lambda e: e.sim.set_token_state(PAGE_TOKEN, is_valid=False),
        "token",
        "fail",
        "not valid",
        "new",
    ),
    Broken(
        "token expiring",
        lambda e: e.sim.set_token_state(PAGE_TOKEN, expires_at=int(e.sim.now()) + 3 * 86400),
        "token",
        "warn",
        "expires in",
        "new",
    ),
    Broken(
        "scope missing",
        lambda e: e.sim.set_token_state(
            PAGE_TOKEN, scopes=["pages_manage_metadata", "pages_show_list", "pages_read_engagement", "ads_management"]
        ),
        "token",
        "fail",
        "leads_retrieval",
        "re-authorize",
    ),
    Broken(
        "app unsubscribed",
        lambda e: e.sim.set_page_subscribed_fields(PAGE_ID, []),
        "subscription",
        "fail",
        "not",
        "subscribed_apps",
    ),
    Broken(
        "leadgen field dropped",
        lambda e: e.sim.set_page_subscribed_fields(PAGE_ID, ["feed"]),
        "subscription",
        "fail",
        "without the leadgen",
        "subscribed_fields=leadgen",
    ),
    Broken(
        "leads access",
        lambda e: e.sim.set_leads_access(PAGE_ID, False),
        "lead_read",
        "fail",
        "code=200",
        "Leads Access",
    ),
    Broken(
        "flagged audience", lambda e: e.sim.set_audience_status(AUDIENCE_ID, 471), "audience", "fail", "471", "appeal"
    ),
    Broken(
        "expiring audience",
        lambda e: e.sim.set_audience_status(AUDIENCE_ID, 100),
        "audience",
        "warn",
        "expiring",
        "active ad set",
    ),
]


@pytest.mark.parametrize("case", BROKEN, ids=[b.name for b in BROKEN])
def test_each_broken_precondition_is_found_with_what_to_do(hc: Env, case: Broken):
    inbox = alerts_queue(hc)
    case.breaker(hc)
    answer = run(hc)
    found = finding(answer, case.check, f"page {PAGE_ID}" if case.check in ("token", "subscription") else None)
    assert found["status"] == case.status, found
    assert case.detail in found["detail"] and case.action in found["action"], found
    messages = alerts(hc, inbox)
    assert len(messages) == 1 and PAGE_TOKEN not in messages[0]["Message"]
    assert case.check in messages[0]["Message"] and messages[0]["Subject"].startswith("leadloop health:")


def test_development_mode_is_caught_by_reading_a_lead_we_hold(hc: Env):
    lead_id = hc.sim.create_lead(PAGE_ID, FORM_ID, [{"name": "email", "values": ["dev@example.com"]}])
    put_lead(hc, lead_id, source="webhook")
    assert finding(run(hc), "lead_read")["status"] == "ok"
    hc.sim.set_app_mode("development")
    found = finding(run(hc), "lead_read")
    assert found["status"] == "fail" and "code=10" in found["detail"] and "Development mode" in found["action"]


def test_leads_found_only_by_the_backfill_show_missing_webhooks(hc: Env):
    put_lead(hc, "900000000000000001", source="webhook")
    put_lead(hc, "900000000000000002", source="backfill")
    found = finding(run(hc), "webhook_drift")
    assert found["status"] == "warn" and "1 of 2 lead(s)" in found["detail"]


def test_alerts_are_not_repeated_for_the_same_problem_and_recovery_is_announced(hc: Env):
    inbox = alerts_queue(hc)
    hc.sim.set_leads_access(PAGE_ID, False)
    assert run(hc)["alerted"] is True
    assert run(hc)["alerted"] is False  # same problem, same day
    hc.sim.set_leads_access(PAGE_ID, True)
    assert run(hc)["alerted"] is True
    subjects = [m["Subject"] for m in alerts(hc, inbox)]
    assert subjects == ["leadloop health: 1 failing, 0 warning", "leadloop health: all checks pass again"]


def test_an_on_demand_run_for_one_page_is_reported_but_not_recorded(hc: Env):
    answer = run(hc, {"page_id": PAGE_ID})
    assert answer["partial"] is True and answer["status"] == "ok"
    latest = hc.client("dynamodb").get_item(
        TableName=hc.resource("StateTable"), Key={"pk": {"S": "health"}, "sk": {"S": "latest"}}
    )
    assert "Item" not in latest
    with pytest.raises(ValueError, match="unknown checks"):
        run(hc, {"checks": ["horoscope"]})


def test_a_secret_without_app_id_warns_instead_of_guessing(hc: Env):
    secrets = hc.client("secretsmanager")
    secrets.put_secret_value(
        SecretId=hc.resource("MetaSecret"),
        SecretString=json.dumps({"app_secret": APP_SECRET, "verify_token": "v", "access_token": PAGE_TOKEN}),
    )
    found = finding(run(hc), "token")
    assert found["status"] == "warn" and "app_id" in found["detail"]
    assert APP_ID not in found["detail"]
