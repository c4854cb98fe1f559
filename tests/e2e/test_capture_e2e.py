"""End to end on the local stack, driven the way Meta (the simulator) and an operator would."""

from __future__ import annotations

import json
import random
import re

import pytest

from leadloop_cli.demo.capture import person, run_capture
from leadloop_cli.demo.members import run_members
from leadloop_cli.stackclient import StackClient, wait_until
from tests.support.cli import leadloop_cli

pytestmark = pytest.mark.e2e


def test_the_demo_capture_and_membership_scenarios_pass(stack: StackClient):
    captured, expected = run_capture(stack)
    rows = run_members(stack, expected)
    failed = [f"{c.name}: {c.detail}" for r in (captured, rows) for c in r.checks if not c.passed]
    assert not failed, failed


def test_200_deliveries_with_duplicates_and_flaky_reads_lose_nothing(stack: StackClient):
    # Given 200 new leads at Meta and lead reads that fail 30% of the time for a while
    rng = random.Random(7)
    ids = [stack.create_lead(person(1000 + n), deliver=False) for n in range(200)]
    stack.add_fault(
        path=r"^/v\d+\.\d+/\d{10,}$",
        status=500,
        probability=0.3,
        times=80,
        error={"code": 2, "message": "Service temporarily unavailable", "is_transient": True},
    )
    # When Meta delivers them in bursts of 10 per POST, re-sending 20% of them
    for start in range(0, len(ids), 10):
        stack.deliver(ids[start : start + 10])
    duplicates = rng.sample(ids, 40)
    for start in range(0, len(duplicates), 5):
        stack.deliver(duplicates[start : start + 5])
    # Then every lead ends up stored exactly once, fetched, none parked
    stored = stack.wait_for_fetched(ids, timeout=180)
    assert len(stored) == 200
    mine = [item for item in stack.all_leads() if item["leadgen_id"] in set(ids)]
    assert len(mine) == 200
    assert all(item["status"] == "FETCHED" for item in mine)
    wait_until(
        lambda: (
            len({i["leadgen_id"] for i in stack.all_leads() if int(i.get("notifications", 0)) >= 2} & set(duplicates))
            == 40
        ),
        timeout=30,
        what="every duplicate delivery to be recorded",
    )
    assert stack.queue_depth("FetchRetryDLQ") == 0
    failed_reads = [
        c for c in stack.calls() if re.search(r"/\d{10,}$", str(c.get("path", ""))) and int(c.get("status", 0)) >= 500
    ]
    assert failed_reads, "the fault never fired: the test did not exercise the retry path"


def test_backfill_command_against_the_running_stack(stack: StackClient, tmp_path):
    # Given a lead whose webhook never came
    lead_id = stack.create_lead(person(2001), deliver=False)
    # When the operator runs the backfill command against the local stack
    result = leadloop_cli(stack, "backfill", "--form-id", stack.seed["form_id"])
    # Then it exits 0, reports the insert, and the lead is stored
    assert result.returncode == 0, result.stderr
    assert "inserted" in result.stdout
    assert stack.lead(lead_id)["source"] == "backfill"
    # And an unrouted form exits non-zero with a one-line reason
    bad = leadloop_cli(stack, "backfill", "--form-id", "123")
    assert bad.returncode == 1 and "not routed" in bad.stderr


def test_webhook_http_contract(stack: StackClient):
    import requests

    ok = requests.get(
        stack.webhook_url,
        params={"hub.mode": "subscribe", "hub.challenge": "42", "hub.verify_token": stack.info["verify_token"]},
        timeout=10,
    )
    assert (ok.status_code, ok.text) == (200, "42")
    assert (
        requests.get(
            stack.webhook_url,
            params={"hub.mode": "subscribe", "hub.challenge": "42", "hub.verify_token": "x"},
            timeout=10,
        ).status_code
        == 403
    )
    assert requests.post(stack.webhook_url, data=b'{"object":"page","entry":[]}', timeout=10).status_code == 401


def test_dlq_replay_brings_a_parked_lead_back(stack: StackClient):
    # Given a lead parked in FetchRetryDLQ after its attempts ran out (its webhook never came)
    lead_id = stack.create_lead(person(3001), deliver=False)
    parked = {
        "v": 1,
        "leadgen_id": lead_id,
        "page_id": stack.seed["page_id"],
        "form_id": stack.seed["form_id"],
        "attempts": 8,
        "reason": "graph error code=2: down",
    }
    stack.aws("sqs").send_message(QueueUrl=stack.resources["FetchRetryDLQ"], MessageBody=json.dumps(parked))
    # When the operator replays the DLQ
    result = leadloop_cli(stack, "dlq", "replay", "FetchRetryDLQ")
    # Then it reports the move and the retry consumer stores the lead
    assert result.returncode == 0, result.stderr
    assert "moved 1 message" in result.stdout
    assert stack.wait_for_fetched([lead_id], timeout=60)[lead_id]["status"] == "FETCHED"
    assert stack.queue_depth("FetchRetryDLQ") == 0


def test_audience_create_and_status_commands(stack: StackClient):

    created = leadloop_cli(
        stack, "audience", "create", "--account", stack.seed["account_id"], "--name", "Newsletter leads"
    )
    assert created.returncode == 0, created.stderr
    audience_id = created.stdout.strip()
    assert audience_id.isdigit()
    assert stack.sim("GET", f"/_sim/audiences/{audience_id}")["name"] == "Newsletter leads"
    status = leadloop_cli(stack, "audience", "status", audience_id)
    assert status.returncode == 0, status.stderr
    assert "Newsletter leads" in status.stdout and "operation      200" in status.stdout
    missing = leadloop_cli(stack, "audience", "status", "99999999999")
    assert missing.returncode == 1 and "code=100" in missing.stderr


def test_forget_command_everywhere(stack: StackClient):
    import hashlib

    # Given a captured person who is a member of the seeded audience
    answers = person(4001)
    email = answers[1]["values"][0]
    email_hash = hashlib.sha256(email.encode()).hexdigest()
    lead_id = stack.create_lead(answers, deliver=True)
    stack.wait_for_fetched([lead_id], timeout=30)
    audience = stack.seed["audience_id"]

    def member_emails() -> set[str]:
        view = stack.sim("GET", f"/_sim/audiences/{audience}")
        column = view["schema"].index("EMAIL") if "EMAIL" in view.get("schema", []) else None
        return {row[column] for row in view["members"]} if column is not None else set()

    wait_until(lambda: email_hash in member_emails(), timeout=60, what="the person to become a member")
    # When the operator forgets them everywhere
    result = leadloop_cli(
        stack, "forget", "--email", email.upper(), "--everywhere", "--account", stack.seed["account_id"]
    )
    # Then the removal went out, nothing identifying was printed, and the lead is a tombstone
    assert result.returncode == 0, result.stderr
    assert email.lower() not in (result.stdout + result.stderr).lower()
    assert "leads forgotten: 1" in result.stdout
    assert email_hash not in member_emails()
    calls = [c for c in stack.calls() if str(c.get("path", "")).endswith("/usersofanyaudience")]
    assert calls and calls[-1]["status"] == 200
    item = stack.lead(lead_id)
    assert item["status"] == "FORGOTTEN" and "field_data" not in item
    # And an invalid email is refused before anything is sent
    bad = leadloop_cli(stack, "forget", "--email", "not-an-email")
    assert bad.returncode == 1 and "not valid" in bad.stderr


def test_dlq_replay_rebuilds_a_hasher_failure_days_later_from_leadstable(stack: StackClient):
    import hashlib
    from datetime import UTC, datetime, timedelta

    from leadloop.state.markers import FailedRecord, FailureMarkers

    # Given a stored lead whose stream record the hasher gave up on three days ago (recorded in
    # StateTable; the stream no longer holds it), and the form now feeding a second audience
    answers = person(5001)
    email_hash = hashlib.sha256(answers[1]["values"][0].encode()).hexdigest()
    lead_id = stack.create_lead(answers, deliver=True)
    stack.wait_for_fetched([lead_id], timeout=30)

    def members(audience: str) -> list[str]:
        view = stack.sim("GET", f"/_sim/audiences/{audience}")
        column = view["schema"].index("EMAIL") if "EMAIL" in view.get("schema", []) else None
        return [row[column] for row in view["members"]] if column is not None else []

    # (the hasher handled it under the old routing: the seeded audience only)
    wait_until(lambda: email_hash in members(stack.seed["audience_id"]), timeout=90, what="the lead in the audience")
    created = leadloop_cli(stack, "audience", "create", "--account", stack.seed["account_id"], "--name", "Replayed")
    assert created.returncode == 0, created.stderr
    second = created.stdout.strip()
    ssm, name = stack.aws("ssm"), stack.resources["RoutingParameter"]
    routing = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    document = json.loads(routing)
    for form in document["forms"]:
        form["audience_ids"] = [*form["audience_ids"], second]
    ssm.put_parameter(Name=name, Value=json.dumps(document), Overwrite=True)
    try:
        FailureMarkers(stack.aws("dynamodb"), stack.resources["StateTable"]).record(
            [FailedRecord("70000000000000000000001", lead_id, "add")]
        )
        arrival = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        info = {
            "shardId": "shardId-00000001",
            "startSequenceNumber": "70000000000000000000001",
            "endSequenceNumber": "70000000000000000000001",
            "approximateArrivalOfFirstRecord": arrival,
            "batchSize": 1,
            "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/leads/stream/2026-01-01T00:00:00.000",
        }
        queue = stack.resources["LeadHasherFailureDLQ"]
        stack.aws("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps({"DDBStreamBatchInfo": info}))
        # When the operator replays the DLQ
        result = leadloop_cli(stack, "dlq", "replay", "LeadHasherFailureDLQ")
        # Then the lead's rows are rebuilt from LeadsTable, reach the new audience, and the DLQ is empty
        assert result.returncode == 0, result.stderr
        assert "rebuilt 1 range(s)" in result.stdout and "2 row(s) to add" in result.stdout
        wait_until(lambda: members(second) == [email_hash], timeout=120, what="the replayed lead in the new audience")
        assert stack.queue_depth("LeadHasherFailureDLQ") == 0
    finally:
        ssm.put_parameter(Name=name, Value=routing, Overwrite=True)
