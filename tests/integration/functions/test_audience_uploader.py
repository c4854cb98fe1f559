"""AudienceUploaderFunction on moto + the Graph simulator: queued hashed rows become members."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest

from leadloop.rows.messages import AudienceRowsMessage
from leadloop.uploader import wiring as uploader_wiring
from tests.support.context import FakeContext
from tests.support.events import sqs_event
from tests.support.moto_stack import AUDIENCE_ID, REGION, Env, sim_json

ACCOUNT_ID = "act_300000000000001"
SCHEMA = ["EMAIL", "PHONE"]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def rows(*names: str) -> list[list[str]]:
    return [[sha(f"{n}@example.com"), sha(f"1555{sum(map(ord, n)):07d}")] for n in names]


def body(op: str = "add", rs: list[list[str]] | None = None, audience_id: str = AUDIENCE_ID) -> str:
    return json.dumps({"v": 1, "audience_id": audience_id, "op": op, "schema": SCHEMA, "rows": rs or rows("ann")})


# ---------------------------------------------------------------------- helpers (this file only)
@pytest.fixture
def up(env: Env) -> Env:
    env.sim.add_ad_account(ACCOUNT_ID)
    env.sim.add_audience(AUDIENCE_ID, ACCOUNT_ID)
    return env


def members(env: Env) -> list[list[Any]]:
    return sim_json(env, "GET", f"/_sim/audiences/{AUDIENCE_ID}")["members"]


def fault(env: Env, code: int, *, subcode: int | None = None, message: str = "sim fault", **extra: Any) -> None:
    error = {"code": code, "message": message} | ({"error_subcode": subcode} if subcode else {})
    sim_json(env, "POST", "/_sim/faults", {"path": r"/users$", "error": error, "times": 1} | extra)


def users_calls(env: Env) -> list[dict[str, Any]]:
    return [c for c in env.sim.calls() if str(c.get("path", "")).endswith("/users")]


def enqueue(env: Env, *bodies: str) -> None:
    sqs = env.client("sqs")
    for b in bodies:
        sqs.send_message(QueueUrl=env.resource("AudienceQueue"), MessageBody=b)


def receive(env: Env) -> dict[str, Any]:
    """Receive every queued message (in flight, as Lambda would) and build the SQS event."""
    sqs = env.client("sqs")
    got: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=env.resource("AudienceQueue"), MaxNumberOfMessages=10, AttributeNames=["All"], VisibilityTimeout=60
        ).get("Messages", [])
        if not batch:
            break
        got += batch
    event = sqs_event(env, got)
    arn = f"arn:aws:sqs:{REGION}:123456789012:{env.resource('AudienceQueue').rsplit('/', 1)[-1]}"
    for record in event["Records"]:
        record["eventSourceARN"] = arn
    return event


def run(env: Env, event: dict[str, Any]) -> set[str]:
    handler = env.use_function("AudienceUploaderFunction")
    # conftest.reset_caches does not know the uploader's cached deps (clients of an earlier moto).
    uploader_wiring.uploader_deps.cache_clear()
    answer = handler.handler(event, FakeContext(seconds=120))
    return {f["itemIdentifier"] for f in answer["batchItemFailures"]}


def dlq(env: Env) -> list[dict[str, Any]]:
    return env.messages("AudienceDLQ", wait_delayed=0)


def visible(env: Env) -> list[dict[str, Any]]:
    return env.messages("AudienceQueue", wait_delayed=0)


# ---------------------------------------------------------------------- tests
def test_queued_rows_become_members_in_one_call_and_removes_remove(up: Env):
    enqueue(up, body(rs=rows("ann")), body(rs=rows("bob")), body(rs=rows("ann")))
    assert run(up, receive(up)) == set()
    assert sorted(map(tuple, members(up))) == sorted(map(tuple, rows("ann", "bob")))
    assert len(users_calls(up)) == 1

    enqueue(up, body("remove", rows("ann")))
    assert run(up, receive(up)) == set()
    assert [tuple(m) for m in members(up)] == [tuple(r) for r in rows("bob")]
    assert dlq(up) == []


def test_packed_v2_messages_and_queued_v1_ones_become_members_in_one_call(up: Env):
    packed = AudienceRowsMessage(
        audience_id=AUDIENCE_ID, op="add", schema_keys=SCHEMA, rows=rows("cy", "di", "ed"), lead_ids=["1", "2", "3"]
    ).body()
    enqueue(up, packed, body(rs=rows("ann")))
    assert run(up, receive(up)) == set()
    assert sorted(map(tuple, members(up))) == sorted(map(tuple, rows("ann", "cy", "di", "ed")))
    assert [c.get("rows") for c in users_calls(up)] == [4]


def test_a_permanent_error_parks_the_message_with_audience_code_and_message(up: Env):
    fault(up, 2650, subcode=1870145, message="Audience created from another data source")
    enqueue(up, body())
    assert run(up, receive(up)) == set()
    [parked] = dlq(up)
    reason = parked["MessageAttributes"]["reason"]["StringValue"]
    assert AUDIENCE_ID in reason and "code=2650" in reason and "subcode=1870145" in reason
    assert "another data source" in reason and sha("ann@example.com") not in reason
    assert json.loads(parked["Body"]) == json.loads(body())
    assert members(up) == []


def test_throttling_keeps_every_message_hidden_and_makes_no_further_calls(up: Env):
    fault(up, 80003, message="There have been too many calls to this ad-account.")
    other = "238000000000009"
    up.sim.add_audience(other, ACCOUNT_ID)
    enqueue(up, body(rs=rows("ann")), body(rs=rows("bob"), audience_id=other))
    event = receive(up)
    assert run(up, event) == {r["messageId"] for r in event["Records"]}
    assert len(users_calls(up)) == 1
    assert visible(up) == []  # hidden for Meta's wait, not handed straight back
    assert dlq(up) == []


def test_an_expired_token_keeps_the_messages(up: Env):
    fault(up, 190, subcode=463, message="Error validating access token: Session has expired")
    enqueue(up, body())
    event = receive(up)
    assert run(up, event) == {event["Records"][0]["messageId"]}
    assert dlq(up) == [] and visible(up) == []
    assert members(up) == []


def test_an_unreadable_message_is_parked_and_the_batch_goes_on(up: Env):
    enqueue(up, "not json", body(rs=[["only-one-cell"]]), body())
    assert run(up, receive(up)) == set()
    reasons = sorted(m["MessageAttributes"]["reason"]["StringValue"] for m in dlq(up))
    assert len(reasons) == 2 and all("unreadable audience message" in r for r in reasons)
    assert len(members(up)) == 1


def test_a_replace_lock_defers_the_audience_without_a_graph_call(up: Env):
    up.client("dynamodb").put_item(
        TableName=up.resource("StateTable"),
        Item={
            "pk": {"S": f"audience#{AUDIENCE_ID}"},
            "sk": {"S": "lock"},
            "expires_at": {"N": str(int(time.time()) + 600)},
        },
    )
    enqueue(up, body())
    event = receive(up)
    assert run(up, event) == {event["Records"][0]["messageId"]}
    assert users_calls(up) == [] and visible(up) == []


def test_an_exhausted_audience_budget_stops_calls_and_loses_nothing(up: Env):
    up.sim.configure(audience_budgets={ACCOUNT_ID: 1})
    second, third = "238000000000008", "238000000000009"
    up.sim.add_audience(second, ACCOUNT_ID)
    up.sim.add_audience(third, ACCOUNT_ID)
    enqueue(up, body(), body(audience_id=second), body(audience_id=third))
    event = receive(up)
    failed = run(up, event)
    statuses = [c.get("status") for c in users_calls(up)]
    assert statuses == [200, 400]  # the throttled answer ends the calls for this batch
    assert len(failed) == 2 and len(members(up)) == 1
    assert visible(up) == [] and dlq(up) == []
