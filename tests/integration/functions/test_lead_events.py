"""LeadEventsFunction on moto: real LeadsTable writes become events on LeadEventsBus.

The bus is observed the way a consumer would: a rule on it sends every leadloop event to an SQS
queue (moto delivers to SQS targets).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.stub import Stubber

from leadloop.leads.store import LeadStore
from tests.support.context import FakeContext
from tests.support.events import api_event, sign, stream_event, webhook_body
from tests.support.moto_stack import FORM_ID, PAGE_ID, REGION, Env, answers


def observe_bus(env: Env) -> str:
    sqs, events = env.client("sqs"), env.client("events")
    url = sqs.create_queue(QueueName="bus-observer")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = env.resource("LeadEventsBus")
    events.put_rule(Name="observe", EventBusName=bus, EventPattern=json.dumps({"source": ["leadloop"]}))
    events.put_targets(Rule="observe", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    return str(url)


def seen(env: Env, url: str) -> list[dict[str, Any]]:
    sqs = env.client("sqs")
    found: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        found += [json.loads(m["Body"]) for m in batch]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)]
        )
    return found


def capture(env: Env, *numbers: int) -> list[str]:
    ids = [env.sim.create_lead(PAGE_ID, FORM_ID, answers(n)) for n in numbers]
    # A budget no loaded machine spends: every lead is read in the webhook call, none left for retries.
    fetch = env.use_function("LeadFetchFunction", WEBHOOK_RESPONSE_BUDGET_SECONDS="20")
    body = webhook_body(*ids)
    response = fetch.handler(api_event("POST", body=body, headers={"X-Hub-Signature-256": sign(body)}), FakeContext())
    assert response["statusCode"] == 200
    assert [(env.lead(i) or {}).get("status") for i in ids] == ["FETCHED"] * len(ids)
    return ids


def set_routing(env: Env, **route: Any) -> None:
    document = {"version": 1, "forms": [{"form_id": FORM_ID, "page_id": PAGE_ID, **route}]}
    env.client("ssm").put_parameter(Name=env.resource("RoutingParameter"), Value=json.dumps(document), Overwrite=True)


def test_each_stored_lead_is_one_lead_captured_event_without_answers_by_default(env: Env):
    url = observe_bus(env)
    [lead_id] = capture(env, 1)
    events = env.use_function("LeadEventsFunction")
    assert events.handler(stream_event(env), FakeContext()) == {"batchItemFailures": []}
    [event] = seen(env, url)
    assert event["source"] == "leadloop" and event["detail-type"] == "Lead Captured"
    detail = event["detail"]
    assert detail["leadgen_id"] == lead_id and detail["form_id"] == FORM_ID and detail["page_id"] == PAGE_ID
    assert detail["origin"] == "webhook" and detail["answers_included"] is False
    assert "person1" not in json.dumps(event)


def test_a_route_that_opts_in_gets_the_answers(env: Env):
    set_routing(env, events_include_answers=True)
    url = observe_bus(env)
    capture(env, 2)
    env.use_function("LeadEventsFunction").handler(stream_event(env), FakeContext())
    [event] = seen(env, url)
    assert event["detail"]["answers_included"] is True
    assert {"name": "email", "values": ["person2@example.com"]} in event["detail"]["field_data"]


def test_forgetting_a_lead_sends_lead_forgotten(env: Env):
    url = observe_bus(env)
    [lead_id] = capture(env, 3)
    LeadStore(env.client("dynamodb"), env.resource("LeadsTable"), retention_days=1).forget(lead_id, now=1_790_000_100)
    env.use_function("LeadEventsFunction").handler(stream_event(env), FakeContext())
    kinds = [(e["detail-type"], e["detail"]["leadgen_id"]) for e in seen(env, url)]
    assert kinds == [("Lead Captured", lead_id), ("Lead Forgotten", lead_id)]


def test_25_leads_cost_three_put_events_calls(env: Env):
    url = observe_bus(env)
    capture(env, *range(10, 35))
    events = env.use_function("LeadEventsFunction")
    from leadloop.events import wiring

    client = wiring.events_deps().publisher._events  # the function's own client, counted
    calls: list[int] = []
    client.meta.events.register(
        "before-parameter-build.events.PutEvents", lambda params, **_: calls.append(len(params["Entries"]))
    )
    assert events.handler(stream_event(env), FakeContext()) == {"batchItemFailures": []}
    assert calls == [10, 10, 5]
    assert len(seen(env, url)) == 25


def test_entries_eventbridge_refuses_are_parked_with_their_reason_and_capture_goes_on(env: Env):
    capture(env, 4, 5)
    events = env.use_function("LeadEventsFunction")
    from leadloop.events import wiring

    client = wiring.events_deps().publisher._events
    stubber = Stubber(client)
    refused = {"ErrorCode": "InternalFailure", "ErrorMessage": "try again"}
    # The first call takes one entry and refuses the other; its three retries are refused too.
    stubber.add_response("put_events", {"FailedEntryCount": 1, "Entries": [{"EventId": "e1"}, refused]})
    for _ in range(3):
        stubber.add_response("put_events", {"FailedEntryCount": 1, "Entries": [refused]})
    with stubber:
        assert events.handler(stream_event(env), FakeContext()) == {"batchItemFailures": []}
    stubber.assert_no_pending_responses()
    [parked] = env.messages("LeadEventsDLQ", wait_delayed=0)
    body = json.loads(parked["Body"])
    assert body["kind"] == "lead-event" and body["event"] == "Lead Captured" and body["reason"] == "InternalFailure"
    assert "person" not in parked["Body"]
    assert parked["MessageAttributes"]["reason"]["StringValue"] == "InternalFailure"


def test_the_functions_role_may_publish_to_the_bus(env: Env):
    statements = json.dumps(env.result.roles["LeadEventsFunction"].policies)
    assert "events:PutEvents" in statements and env.result.get_att("LeadEventsBus", "Arn") in statements
    assert boto3.client("events", region_name=REGION).describe_event_bus(Name=env.resource("LeadEventsBus"))
