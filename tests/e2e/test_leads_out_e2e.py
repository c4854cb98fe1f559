"""Leads out on the running local stack: a lead Meta sends arrives at the user's own HTTPS endpoint.

The stack is started with ``LeadDeliveryUrl`` pointing at a small receiver on 127.0.0.1 and the
header value in a Secrets Manager secret made before the stack (as an operator makes it before
``sam deploy``), so the path is the deployed one: LeadsTable stream → LeadEventsFunction →
LeadEventsBus → rule → API destination (connection header, retries, LeadDeliveryDLQ).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from leadloop_cli.demo.capture import person
from leadloop_cli.demo.receiver import Receiver
from leadloop_cli.stackclient import StackClient, wait_until
from tests.support.cli import leadloop_cli, running_stack

TOKEN = "Bearer e2e-crm-token"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[StackClient]:
    extra = (
        "--param",
        f"LeadDeliveryUrl={receiver.url}",
        "--param",
        "LeadDeliveryAuthSecretName=crm-delivery-token",
        "--param",
        "LeadDeliveryMaxRetries=3",
        "--secret",
        f"crm-delivery-token={TOKEN}",
    )
    with running_stack(tmp_path_factory.mktemp("state"), *extra) as client:
        yield client


def test_a_captured_lead_reaches_the_users_endpoint_with_its_header(stack: StackClient, receiver: Receiver):
    lead = stack.create_lead(person(8100), deliver=True)
    stack.wait_for_fetched([lead], timeout=60)
    wait_until(lambda: bool(receiver.delivered(lead)), timeout=60, what="the lead at the endpoint")
    [request] = receiver.delivered(lead)
    assert request["path"] == "/crm/leads" and request["headers"]["Authorization"] == TOKEN
    event = request["body"]
    assert event["source"] == "leadloop" and event["detail-type"] == "Lead Captured"
    assert event["detail"]["form_id"] == stack.seed["form_id"] and event["detail"]["origin"] == "webhook"
    assert event["detail"]["answers_included"] is False and "field_data" not in event["detail"]


def test_an_endpoint_failing_for_a_while_gets_the_lead_on_a_retry(stack: StackClient, receiver: Receiver):
    lead = stack.create_lead(person(8101), deliver=False)
    receiver.statuses[lead] = [503, 429]
    stack.deliver([lead])
    stack.wait_for_fetched([lead], timeout=60)
    wait_until(lambda: any(r["status"] == 200 for r in receiver.delivered(lead)), timeout=60, what="a retry")
    assert [r["status"] for r in receiver.delivered(lead)] == [503, 429, 200]


def test_a_refused_lead_lands_in_the_dlq_and_replays_once_the_endpoint_is_fixed(stack: StackClient, receiver: Receiver):
    lead = stack.create_lead(person(8102), deliver=False)
    receiver.statuses[lead] = [400]
    stack.deliver([lead])
    stack.wait_for_fetched([lead], timeout=60)
    sqs = stack.aws("sqs")
    dlq = stack.resources["LeadDeliveryDLQ"]

    def dead_letters() -> list[dict[str, Any]]:
        answer = sqs.receive_message(
            QueueUrl=dlq, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=0
        )
        return list(answer.get("Messages") or [])

    wait_until(lambda: bool(dead_letters()), timeout=60, what="the refused lead in LeadDeliveryDLQ")
    [message] = dead_letters()
    assert json.loads(message["Body"])["detail"]["leadgen_id"] == lead
    assert "ERROR_CODE" in message["MessageAttributes"]
    assert [r["status"] for r in receiver.delivered(lead)] == [400]  # a 4xx other than 429 is not retried

    replay = leadloop_cli(stack, "dlq", "replay", "LeadDeliveryDLQ")
    assert replay.returncode == 0, replay.stderr
    wait_until(lambda: any(r["status"] == 200 for r in receiver.delivered(lead)), timeout=60, what="the replay")
    assert dead_letters() == []
