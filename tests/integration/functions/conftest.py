"""Each handler on moto (resources provisioned from infra/template.yaml) plus the Graph simulator.

The function's environment is exactly what the template gives it, so a test fails when the
template and the code disagree about a variable.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import importlib.util
import json
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from leadloop import aws as leadloop_aws
from leadloop.settings import clear_settings_cache
from leadloop_cli.devstack.events.dynamodb import stream_record
from leadloop_cli.devstack.provision import Provisioner
from leadloop_cli.devstack.resources import ProvisionResult
from leadloop_cli.devstack.template import load_template
from leadloop_cli.graphsim import GraphSimulator

ROOT = Path(__file__).resolve().parents[3]
REGION = "us-east-1"
APP_ID = "900100200300"
APP_SECRET = "itest-app-secret"
VERIFY_TOKEN = "itest-verify-token"
PAGE_ID = "104000000000001"
PAGE_TOKEN = "EAAB-itest-page-token"
FORM_ID = "205000000000001"
AUDIENCE_ID = "238000000000001"
EVENTS = ROOT / "tests" / "events"


@dataclass
class Env:
    sim: GraphSimulator
    result: ProvisionResult
    monkeypatch: pytest.MonkeyPatch

    def resource(self, logical_id: str) -> str:
        return str(self.result.physical_ids()[logical_id])

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]

    def use_function(self, logical_id: str, **overrides: str) -> ModuleType:
        """Set the function's template environment (plus overrides) and load its handler module."""
        spec = self.result.functions[logical_id]
        for key, value in {**spec.environment, **overrides}.items():
            self.monkeypatch.setenv(key, str(value))
        reset_caches()
        assert spec.code_dir is not None
        module_name = f"itest_{logical_id}_{uuid.uuid4().hex[:8]}"
        loader = importlib.util.spec_from_file_location(module_name, spec.code_dir / "app.py")
        assert loader is not None and loader.loader is not None
        module = importlib.util.module_from_spec(loader)
        loader.loader.exec_module(module)
        return module

    def lead(self, leadgen_id: str) -> dict[str, Any] | None:
        from leadloop.leads.store import LeadStore

        return LeadStore(self.client("dynamodb"), self.resource("LeadsTable"), retention_days=1).get(leadgen_id)

    def messages(self, logical_id: str, *, wait_delayed: float = 3.0) -> list[dict[str, Any]]:
        """Every message on the queue (waiting up to ``wait_delayed`` for short delays to end)."""
        sqs = self.client("sqs")
        deadline = time.monotonic() + wait_delayed
        while time.monotonic() < deadline:
            attrs = sqs.get_queue_attributes(
                QueueUrl=self.resource(logical_id), AttributeNames=["ApproximateNumberOfMessagesDelayed"]
            )["Attributes"]
            if attrs["ApproximateNumberOfMessagesDelayed"] == "0":
                break
            time.sleep(0.1)
        found: list[dict[str, Any]] = []
        while True:
            answer = sqs.receive_message(
                QueueUrl=self.resource(logical_id),
                MaxNumberOfMessages=10,
                MessageAttributeNames=["All"],
                AttributeNames=["All"],
                VisibilityTimeout=0,
            )
            batch = answer.get("Messages", [])
            new = [m for m in batch if m["MessageId"] not in {f["MessageId"] for f in found}]
            if not new:
                return found
            found += new


def reset_caches() -> None:
    from leadloop.backfill import wiring as backfill_wiring
    from leadloop.capture import wiring as capture_wiring
    from leadloop.events import wiring as events_wiring
    from leadloop.hasher import wiring as hasher_wiring
    from leadloop.health import wiring as health_wiring
    from leadloop.replace import wiring as replace_wiring
    from leadloop.uploader import wiring as uploader_wiring

    capture_wiring.capture_deps.cache_clear()
    hasher_wiring.hasher_deps.cache_clear()
    events_wiring.events_deps.cache_clear()
    uploader_wiring.uploader_deps.cache_clear()
    backfill_wiring.backfill_deps.cache_clear()
    replace_wiring.replace_deps.cache_clear()
    health_wiring.health_deps.cache_clear()
    clear_settings_cache()
    leadloop_aws.reset_clients()
    parameters.clear_caches()


class FakeContext:
    function_name = "itest"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:itest"
    aws_request_id = "req-1"

    def __init__(self, seconds: float = 30.0) -> None:
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds * 1000)


@pytest.fixture
def sim() -> Iterator[GraphSimulator]:
    simulator = GraphSimulator(APP_ID, APP_SECRET, webhook_retry_delays=(0.0,))
    simulator.start()
    simulator.add_page(PAGE_ID, PAGE_TOKEN)
    simulator.add_form(FORM_ID, PAGE_ID)
    yield simulator
    simulator.stop()


@contextlib.contextmanager
def provisioned(
    sim: GraphSimulator,
    monkeypatch: pytest.MonkeyPatch,
    *,
    parameters: dict[str, str] | None = None,
    moto_config: dict[str, Any] | None = None,
) -> Iterator[Env]:
    """The template on moto (with ``parameters``), the secret and routing filled in for ``sim``."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    for key, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_METRICS_NAMESPACE": "leadloop",
    }.items():
        monkeypatch.setenv(key, value)
    reset_caches()
    with mock_aws(config=cast(Any, moto_config)) if moto_config else mock_aws():
        template = load_template(
            ROOT / "infra" / "template.yaml",
            stack_name="itest",
            region=REGION,
            parameter_overrides={"GraphBaseUrl": sim.base_url, "FetchRetryBaseDelaySeconds": "1"} | (parameters or {}),
        )
        result = Provisioner(template, lambda service: boto3.client(service, region_name=REGION)).provision_all()  # type: ignore[call-overload]
        secrets = boto3.client("secretsmanager", region_name=REGION)
        secrets.put_secret_value(
            SecretId=str(result.physical_ids()["MetaSecret"]),
            SecretString=json.dumps(
                {"app_id": APP_ID, "app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN, "access_token": PAGE_TOKEN}
            ),
        )
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name=str(result.physical_ids()["RoutingParameter"]),
            Value=json.dumps(
                {
                    "version": 1,
                    "forms": [
                        {"form_id": FORM_ID, "page_id": PAGE_ID, "audience_ids": [AUDIENCE_ID], "default_country": "US"}
                    ],
                }
            ),
            Overwrite=True,
        )
        yield Env(sim, result, monkeypatch)
    reset_caches()


@pytest.fixture
def env(sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    with provisioned(sim, monkeypatch) as provisioned_env:
        yield provisioned_env


def sim_json(env: Env, method: str, path: str, document: Any = None) -> Any:
    """A simulator control call (``/_sim/...``) over HTTP, as tests outside the process would make it."""
    data = json.dumps(document).encode() if document is not None else None
    request = urllib.request.Request(
        f"{env.sim.base_url}{path}", data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"null")


# ---------------------------------------------------------------------- event builders
def webhook_body(*lead_ids: str, created_time: int = 1_790_000_000) -> bytes:
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
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def api_event(
    method: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """An API Gateway REST proxy event shaped like tests/events/webhook_post.json."""
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


def answers(n: int) -> list[dict[str, Any]]:
    return [
        {"name": "email", "values": [f"person{n}@example.com"]},
        {"name": "full_name", "values": [f"Person Number{n}"]},
        {"name": "phone_number", "values": [f"+1555000{n:04d}"]},
    ]


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
