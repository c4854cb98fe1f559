"""Lambda events as AWS delivers them, built from the samples in ``tests/events``, and signed webhooks.

- :func:`api_event`: an API Gateway REST proxy event (the webhook's).
- :func:`sqs_event`: an SQS event from messages received on a provisioned queue.
- :func:`stream_event`: every record on LeadsTable's stream, in the local stack's poller shape.
- :func:`webhook_body` and :func:`sign`: Meta's ``leadgen`` notification and its signature header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any

import boto3

from leadloop_cli.devstack.events.dynamodb import stream_record
from tests.support.moto_stack import APP_SECRET, FORM_ID, PAGE_ID, REGION
from tests.support.template import REPO_ROOT

if TYPE_CHECKING:
    from tests.support.moto_stack import Env

EVENTS = REPO_ROOT / "tests" / "events"


def webhook_body(*lead_ids: str, created_time: int = 1_790_000_000) -> bytes:
    """Meta's ``leadgen`` webhook body for the seed Page and form, one change per lead."""
    changes = [
        {
            "field": "leadgen",
            "value": {
                "leadgen_id": int(i),
                "page_id": int(PAGE_ID),
                "form_id": int(FORM_ID),
                "created_time": created_time,
            },
        }
        for i in lead_ids
    ]
    return json.dumps({"object": "page", "entry": [{"id": PAGE_ID, "time": created_time, "changes": changes}]}).encode()


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    """The ``X-Hub-Signature-256`` header Meta sends with ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def api_event(
    method: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """An API Gateway REST proxy event shaped like tests/events/apigateway_webhook_post.json."""
    event = json.loads((EVENTS / "apigateway_webhook_post.json").read_text())
    event["httpMethod"] = method
    event["requestContext"]["httpMethod"] = method
    event["headers"] = dict(headers or {})
    event["multiValueHeaders"] = {k: [v] for k, v in (headers or {}).items()}
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
    if body is None:
        event["body"], event["isBase64Encoded"] = None, False
    elif base64_body:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    else:
        event["body"], event["isBase64Encoded"] = body.decode("utf-8"), False
    return event


def sqs_event(env: Env, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """An SQS Lambda event (shape of tests/events/sqs_fetch_retry.json) from received messages."""
    template = json.loads((EVENTS / "sqs_fetch_retry.json").read_text())["Records"][0]
    records = []
    for message in messages:
        record = json.loads(json.dumps(template))
        record["messageId"] = message["MessageId"]
        record["receiptHandle"] = message["ReceiptHandle"]
        record["body"] = message["Body"]
        record["attributes"]["ApproximateReceiveCount"] = message.get("Attributes", {}).get(
            "ApproximateReceiveCount", "1"
        )
        record["eventSourceARN"] = (
            f"arn:aws:sqs:{REGION}:123456789012:{env.resource('FetchRetryQueue').rsplit('/', 1)[-1]}"
        )
        records.append(record)
    return {"Records": records}


def stream_event(env: Env) -> dict[str, Any]:
    """Every record on LeadsTable's stream so far, as the Lambda event Lambda would deliver.

    Records take the local stack's poller shape (``stream_record``): epoch-second
    ``ApproximateCreationDateTime``, base64 binaries and Lambda's ``userIdentity`` keys.
    """
    # moto's in-process mock answers DynamoDB Streams only on its classic host name.
    streams = boto3.client(
        "dynamodbstreams", region_name=REGION, endpoint_url=f"https://streams.dynamodb.{REGION}.amazonaws.com"
    )
    arn = env.result.get_att("LeadsTable", "StreamArn")
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        answer = streams.get_records(ShardIterator=iterator)
        records.extend(stream_record(raw, arn, REGION) for raw in answer["Records"])
    return {"Records": records}
