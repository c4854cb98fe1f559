"""LeadHasherFailureDLQ replay on moto: failed stream records come back as audience rows after the stream expired."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from leadloop.leads.store import LeadStore
from leadloop.queues import MessageQueue
from leadloop.routing import Routing
from leadloop.rows.messages import AudienceRowsMessage
from leadloop.state.markers import FailureMarkers
from leadloop_cli.hasherreplay import HasherReplay
from tests.support.context import FakeContext
from tests.support.events import api_event, sign, stream_event, webhook_body
from tests.support.moto_stack import AUDIENCE_ID, FORM_ID, PAGE_ID, REGION, Env

ANSWERS = [
    {"name": "email", "values": ["Replay.Person@Example.com"]},
    {"name": "full_name", "values": ["Rita Replay"]},
]
BROKEN_QUEUE = f"https://sqs.{REGION}.amazonaws.com/123456789012/no-such-queue"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def capture(env: Env) -> str:
    lead_id = env.sim.create_lead(PAGE_ID, FORM_ID, ANSWERS)
    body = webhook_body(lead_id)
    fetch = env.use_function("LeadFetchFunction")
    answer = fetch.handler(api_event("POST", body=body, headers={"X-Hub-Signature-256": sign(body)}), FakeContext())
    assert answer["statusCode"] == 200
    return lead_id


def streams() -> Any:
    # moto's in-process mock answers DynamoDB Streams only on its classic host name.
    return boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )


def hash_with_queue_down(env: Env, event: dict[str, Any]) -> list[str]:
    """Run the hasher while AudienceQueue refuses everything; returns the failed sequence numbers."""
    hasher = env.use_function("LeadHasherFunction", AUDIENCE_QUEUE_URL=BROKEN_QUEUE)
    answer = hasher.handler(event, FakeContext())
    return [f["itemIdentifier"] for f in answer["batchItemFailures"]]


def dead_letter(env: Env, sequences: list[str], *, age: timedelta) -> None:
    """Lambda's on-failure record for the range, as the event source mapping would send it."""
    arn = env.result.get_att("LeadsTable", "StreamArn")
    shard = streams().describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    arrival = (datetime.now(UTC) - age).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    document = {
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 11},
        "version": "1.0",
        "DDBStreamBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": min(sequences, key=int),
            "endSequenceNumber": max(sequences, key=int),
            "approximateArrivalOfFirstRecord": arrival,
            "approximateArrivalOfLastRecord": arrival,
            "batchSize": len(sequences),
            "streamArn": arn,
        },
    }
    env.client("sqs").send_message(QueueUrl=env.resource("LeadHasherFailureDLQ"), MessageBody=json.dumps(document))


def replay(env: Env) -> Any:
    ssm = env.client("ssm")

    def routing() -> Routing:
        value = ssm.get_parameter(Name=env.resource("RoutingParameter"))["Parameter"]["Value"]
        return Routing.model_validate_json(value)

    ddb = env.client("dynamodb")
    runner = HasherReplay(
        sqs=env.client("sqs"),
        dlq_url=env.resource("LeadHasherFailureDLQ"),
        audience_queue=MessageQueue(env.client("sqs"), env.resource("AudienceQueue")),
        markers=FailureMarkers(ddb, env.resource("StateTable")),
        leads=LeadStore(ddb, env.resource("LeadsTable"), retention_days=30),
        routing=routing,
        streams=streams(),
    )
    return runner.run()


def audience_messages(env: Env) -> list[AudienceRowsMessage]:
    return [AudienceRowsMessage.from_body(m["Body"]) for m in env.messages("AudienceQueue", wait_delayed=0)]


def markers(env: Env) -> list[dict[str, Any]]:
    ddb = env.client("dynamodb")
    answer = ddb.query(
        TableName=env.resource("StateTable"),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "hasher-failed"}},
    )
    return list(answer["Items"])


def test_an_add_dead_lettered_days_ago_is_rebuilt_from_leadstable(env: Env):
    lead_id = capture(env)
    failed = hash_with_queue_down(env, stream_event(env))
    assert len(failed) == 1 and [m["leadgen_id"]["S"] for m in markers(env)] == [lead_id]
    assert audience_messages(env) == []
    dead_letter(env, failed, age=timedelta(days=3))  # the stream no longer holds the range

    report = replay(env)

    [message] = audience_messages(env)
    assert (message.audience_id, message.op, message.lead_ids) == (AUDIENCE_ID, "add", [lead_id])
    row = dict(zip(message.schema_keys, message.rows[0], strict=True))
    assert row["EMAIL"] == sha("replay.person@example.com") and row["FN"] == sha("rita")
    # exactly the rows the hasher sends when the queue works
    env.use_function("LeadHasherFunction").handler(stream_event(env), FakeContext())
    hashed = [m for m in audience_messages(env) if m.lead_ids == [lead_id]]
    assert len(hashed) == 2 and hashed[0].rows == hashed[1].rows
    assert report.read_from_stream == 0 and (report.ranges, report.rows_added) == (1, 1)
    assert env.messages("LeadHasherFailureDLQ", wait_delayed=0) == [] and markers(env) == []


def test_a_forgotten_lead_whose_removal_failed_is_removed_with_the_recorded_hashes(env: Env):
    lead_id = capture(env)
    env.use_function("LeadHasherFunction").handler(stream_event(env), FakeContext())  # the add went through
    for queued in env.messages("AudienceQueue", wait_delayed=0):
        env.client("sqs").delete_message(QueueUrl=env.resource("AudienceQueue"), ReceiptHandle=queued["ReceiptHandle"])
    LeadStore(env.client("dynamodb"), env.resource("LeadsTable"), retention_days=30).forget(lead_id, now=1_800_000_000)
    forget_event = {"Records": [r for r in stream_event(env)["Records"] if r["eventName"] == "MODIFY"][-1:]}
    failed = hash_with_queue_down(env, forget_event)
    assert len(failed) == 1
    [marker] = markers(env)
    assert marker["change"]["S"] == "remove" and "example.com" not in json.dumps(marker)
    dead_letter(env, failed, age=timedelta(days=10))

    replay(env)

    [message] = audience_messages(env)
    assert (message.op, message.lead_ids) == ("remove", [lead_id])
    assert message.rows[0][message.schema_keys.index("EMAIL")] == sha("replay.person@example.com")
    assert env.messages("LeadHasherFailureDLQ", wait_delayed=0) == [] and markers(env) == []


def test_within_a_day_a_range_with_nothing_recorded_is_read_from_the_stream(env: Env):
    lead_id = capture(env)  # say the hasher timed out on this batch: nothing was recorded
    sequences = [r["dynamodb"]["SequenceNumber"] for r in stream_event(env)["Records"]]
    dead_letter(env, sequences, age=timedelta(hours=1))

    report = replay(env)

    [message] = audience_messages(env)
    assert (message.op, message.lead_ids) == ("add", [lead_id])
    assert report.read_from_stream == 1 and env.messages("LeadHasherFailureDLQ", wait_delayed=0) == []


def test_an_old_range_with_nothing_recorded_stays_in_the_dlq(env: Env):
    capture(env)
    sequences = [r["dynamodb"]["SequenceNumber"] for r in stream_event(env)["Records"]]
    dead_letter(env, sequences, age=timedelta(days=2))
    report = replay(env)
    assert report.kept == 1 and audience_messages(env) == []
    assert len(env.messages("LeadHasherFailureDLQ", wait_delayed=0)) == 1
