"""The local stack emulates EventBridge as the template uses it: the leads bus, its archive, and delivery
of "Lead Captured" to an API destination with retries and a dead-letter queue.

A receiver on 127.0.0.1 plays the user's endpoint; each rule of the fixture (``eventbridge/``) points
at one of its paths: ``/ok`` answers 200, ``/flaky`` 500 twice per event then 200, ``/bad`` 400,
``/down`` 503, ``/hold`` answers only when the test lets it. The stack's retry clock is scaled down
(``eventbridge_time_scale``), so retries take milliseconds; nothing here asserts a duration.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from leadloop_cli.devstack import LocalStack
from tests.integration.devstack.devstack_support import StubGraphSimulator, wait_for

TEMPLATE = Path(__file__).with_name("eventbridge") / "template.yaml"
API_KEY_HEADER = "x-leadloop-key"
API_KEY = "local-api-key-1234"  # the secret made before the stack, resolved into the connection at creation
TEST_SOURCE = "leadloop.test"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """The user's endpoint: records every request, answers by path."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.release = threading.Event()
        self.answered_hold = threading.Event()
        self._lock = threading.Lock()
        self._flaky: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {key.lower(): value for key, value in self.headers.items()}
                self.send_response(receiver.answer(Received(self.path, headers, body)))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, request: Received) -> int:
        with self._lock:
            self.requests.append(request)
            if request.path == "/flaky":
                event_id = request.json()["id"]
                self._flaky[event_id] = self._flaky.get(event_id, 0) + 1
                return 500 if self._flaky[event_id] <= 2 else 200
        if request.path == "/hold":
            self.release.wait(10)
            self.answered_hold.set()
        return {"/bad": 400, "/down": 503}.get(request.path, 200)

    def of(self, path: str, event_id: str | None = None) -> list[Received]:
        with self._lock:
            found = [r for r in self.requests if r.path == path]
        if event_id is None:
            return found
        return [r for r in found if r.body.startswith(b"{") and r.json().get("id") == event_id]

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, receiver: Receiver) -> Iterator[LocalStack]:
    tmp = tmp_path_factory.mktemp("eventbridge")
    with LocalStack(
        TEMPLATE,
        parameter_overrides={"ReceiverUrl": receiver.url},
        log_file=tmp / "devstack.log",
        write_state_file=False,
        seed=False,
        graph_factory=StubGraphSimulator,
        eventbridge_time_scale=0.001,
        secrets={"leadloop-test-delivery-token": API_KEY},
    ) as running:
        yield running


def put(stack: LocalStack, detail_type: str, detail: dict[str, Any], *, source: str = TEST_SOURCE) -> str:
    """Put one event on the leads bus as the admin; its EventId."""
    entry = {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}
    answer = stack.client("events").put_events(Entries=[entry | {"EventBusName": stack.resources["LeadsBus"]}])
    assert answer["FailedEntryCount"] == 0, answer
    return str(answer["Entries"][0]["EventId"])


def settled(stack: LocalStack) -> None:
    assert stack.eventbridge is not None
    assert stack.eventbridge.wait_idle(60), "EventBridge deliveries still pending"


def dead_letters(stack: LocalStack, queue: str, event_id: str) -> list[dict[str, Any]]:
    """The messages of ``queue`` about ``event_id`` (left in the queue for no one else)."""
    sqs = stack.client("sqs")
    messages = sqs.receive_message(
        QueueUrl=stack.resources[queue], MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=0
    ).get("Messages", [])
    return [m for m in messages if json.loads(m["Body"]).get("id") == event_id]


def attributes(message: dict[str, Any]) -> dict[str, str]:
    return {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}


def outcome(stack: LocalStack, event_id: str) -> Any:
    assert stack.eventbridge is not None
    [found] = [o for o in stack.eventbridge.outcomes if o.event_id == event_id]
    return found


# ---------------------------------------------------------------------- provisioning
def test_the_resources_answer_ref_and_getatt_as_cloudformation_does(stack: LocalStack) -> None:
    bus = stack.resources["LeadsBus"]
    assert bus == f"{stack.stack_name}-leads"
    assert stack.attribute("LeadsBus", "Arn") == f"arn:aws:events:us-east-1:123456789012:event-bus/{bus}"
    assert stack.attribute("LeadsBus", "Name") == bus

    bus_name, _, rule_name = stack.resources["CapturedRule"].partition("|")
    assert bus_name == bus and rule_name
    rule = stack.client("events").describe_rule(Name=rule_name, EventBusName=bus)
    assert stack.attribute("CapturedRule", "Arn") == rule["Arn"] and rule["Arn"].endswith(f":rule/{bus}/{rule_name}")

    destination = stack.client("events").describe_api_destination(Name=stack.resources["OkDestination"])
    arn = stack.attribute("OkDestination", "Arn")
    assert destination["ApiDestinationArn"] == arn and destination["InvocationRateLimitPerSecond"] == 50
    assert stack.attribute("OkDestination", "ArnForPolicy") == arn.rsplit("/", 1)[0]
    assert ":secret:events!connection/" in stack.attribute("DeliveryConnection", "SecretArn")
    assert stack.attribute("LeadsArchive", "Arn").endswith(f":archive/{stack.resources['LeadsArchive']}")

    policy = stack.client("sqs").get_queue_attributes(
        QueueUrl=stack.resources["DeliveryDLQ"], AttributeNames=["Policy"]
    )
    assert "events.amazonaws.com" in policy["Attributes"]["Policy"]


# ---------------------------------------------------------------------- delivery
def test_a_captured_lead_is_posted_as_the_eventbridge_event_with_the_api_key(
    stack: LocalStack, receiver: Receiver
) -> None:
    event_id = put(stack, "Lead Captured", {"leadgen_id": "111", "form_id": "9"}, source="leadloop")
    settled(stack)
    [request] = receiver.of("/ok", event_id)
    assert request.headers[API_KEY_HEADER] == API_KEY
    assert request.headers["content-type"].startswith("application/json")
    assert request.headers["user-agent"] == "Amazon/EventBridge/ApiDestinations"
    event = request.json()
    assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert event["detail-type"] == "Lead Captured" and event["source"] == "leadloop"
    assert event["detail"] == {"leadgen_id": "111", "form_id": "9"}
    assert event["account"] == "123456789012" and event["region"] == "us-east-1"
    assert event["time"].endswith("Z") and "T" in event["time"]
    assert outcome(stack, event_id).result == "delivered"
    archive = stack.client("events").describe_archive(ArchiveName=stack.resources["LeadsArchive"])
    assert archive["EventCount"] >= 1


def test_put_events_answers_before_the_endpoint_does(stack: LocalStack, receiver: Receiver) -> None:
    event_id = put(stack, "Hold", {"n": 1})
    # PutEvents has answered; the endpoint has the request and has not answered it yet.
    wait_for(lambda: receiver.of("/hold", event_id), timeout=20)
    assert not receiver.answered_hold.is_set()
    receiver.release.set()
    settled(stack)


def test_a_5xx_is_retried_until_the_endpoint_takes_the_event(stack: LocalStack, receiver: Receiver) -> None:
    event_id = put(stack, "Flaky", {"n": 2})
    settled(stack)
    assert len(receiver.of("/flaky", event_id)) == 3  # 500, 500, 200
    result = outcome(stack, event_id)
    assert (result.result, result.retry_attempts) == ("delivered", 2)
    assert dead_letters(stack, "DeliveryDLQ", event_id) == []


def test_a_400_goes_straight_to_the_dead_letter_queue_with_eventbridge_attributes(
    stack: LocalStack, receiver: Receiver
) -> None:
    event_id = put(stack, "Bad", {"n": 3})
    settled(stack)
    assert len(receiver.of("/bad", event_id)) == 1  # RetryPolicy allows 3 retries: a 400 gets none
    [message] = dead_letters(stack, "DeliveryDLQ", event_id)
    assert json.loads(message["Body"])["detail"] == {"n": 3}  # the event itself, as EventBridge had it
    found = attributes(message)
    assert found["RULE_ARN"] == stack.attribute("BadRule", "Arn")
    assert found["TARGET_ARN"] == stack.attribute("BadDestination", "Arn")
    assert found["ERROR_CODE"] == "SDK_CLIENT_ERROR" and "400" in found["ERROR_MESSAGE"]
    assert found["RETRY_ATTEMPTS"] == "0" and "EXHAUSTED_RETRY_CONDITION" not in found


def test_retries_exhausted_go_to_the_dead_letter_queue(stack: LocalStack, receiver: Receiver) -> None:
    event_id = put(stack, "Down", {"n": 4})
    settled(stack)
    assert len(receiver.of("/down", event_id)) == 3  # the attempt and MaximumRetryAttempts: 2
    [message] = dead_letters(stack, "DeliveryDLQ", event_id)
    found = attributes(message)
    assert found["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts" and found["RETRY_ATTEMPTS"] == "2"
    assert found["ERROR_CODE"] == "SDK_CLIENT_ERROR" and "503" in found["ERROR_MESSAGE"]


def test_a_dead_letter_queue_without_a_policy_for_eventbridge_loses_the_event(
    stack: LocalStack, receiver: Receiver
) -> None:
    event_id = put(stack, "Unpoliced", {"n": 5})
    settled(stack)
    assert len(receiver.of("/bad", event_id)) == 1
    assert dead_letters(stack, "UnpolicedDLQ", event_id) == []
    result = outcome(stack, event_id)
    assert result.result == "dropped" and "events.amazonaws.com" in result.reason
    logged = stack.log_file.read_text(encoding="utf-8")
    assert f"{event_id} -> unpoliced" in logged and "InvocationsFailedToBeSentToDLQ" in logged


def test_a_role_that_may_not_invoke_the_destination_never_reaches_it(stack: LocalStack, receiver: Receiver) -> None:
    event_id = put(stack, "Weak", {"n": 6})
    settled(stack)
    assert receiver.of("/ok", event_id) == []
    [message] = dead_letters(stack, "DeliveryDLQ", event_id)
    found = attributes(message)
    assert found["ERROR_CODE"] == "NO_PERMISSIONS" and "events:InvokeApiDestination" in found["ERROR_MESSAGE"]
    assert found["RETRY_ATTEMPTS"] == "0"


def test_an_input_transformer_shapes_the_body_sent_with_basic_auth(stack: LocalStack, receiver: Receiver) -> None:
    put(stack, "Transform", {"leadgen_id": "777", "form": {"id": "f1"}})
    settled(stack)
    rule_name = stack.resources["TransformRule"].partition("|")[2]
    expected = {"lead": "777", "form": {"id": "f1"}, "text": "lead 777 is Transform", "rule": rule_name}
    [request] = [r for r in receiver.of("/transform") if r.json() == expected]
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"leadloop:b4sic-pw").decode()


def test_the_destination_rate_limit_holds_in_every_second(stack: LocalStack, receiver: Receiver) -> None:
    entries = [
        {
            "Source": TEST_SOURCE,
            "DetailType": "Slow",
            "Detail": json.dumps({"n": n}),
            "EventBusName": stack.resources["LeadsBus"],
        }
        for n in range(6)
    ]
    answer = stack.client("events").put_events(Entries=entries)
    ids = {entry["EventId"] for entry in answer["Entries"]}
    settled(stack)
    assert {r.json()["id"] for r in receiver.of("/slow")} >= ids
    assert stack.eventbridge is not None
    starts = sorted(a.started for a in stack.eventbridge.attempts if a.event_id in ids)
    assert len(starts) == 6
    # InvocationRateLimitPerSecond 2: no three requests start within one second (the delivery's own clock).
    assert all(later - earlier >= 1.0 for earlier, later in zip(starts, starts[2:], strict=False))


def test_sqs_targets_get_the_event_if_their_policy_admits_eventbridge_and_disabled_rules_nothing(
    stack: LocalStack,
) -> None:
    event_id = put(stack, "Lead Forgotten", {"leadgen_id": "888"}, source="leadloop")
    sqs = stack.client("sqs")

    def observed() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=stack.resources["ObserverQueue"], MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in messages.get("Messages", [])]

    [event] = wait_for(lambda: [e for e in observed() if e["id"] == event_id])
    assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert event["detail"] == {"leadgen_id": "888"} and event["account"] == "123456789012"
    # Delivered inside PutEvents, like the observer's: had they been sent, they would be there now.
    assert sqs.receive_message(QueueUrl=stack.resources["DisabledQueue"]).get("Messages", []) == []
    assert sqs.receive_message(QueueUrl=stack.resources["ClosedQueue"]).get("Messages", []) == []
    assert "does not allow events.amazonaws.com sqs:SendMessage" in stack.log_file.read_text(encoding="utf-8")


# ---------------------------------------------------------------------- PutEvents and IAM
def test_a_function_with_sams_put_events_policy_publishes_and_its_event_is_delivered(
    stack: LocalStack, receiver: Receiver
) -> None:
    entry = {"Source": "leadloop", "DetailType": "Lead Captured", "Detail": json.dumps({"leadgen_id": "999"})}
    result = stack.invoke("PutterFunction", {"entries": [entry]})
    assert not result.errored, result.payload
    answer = result.json()
    assert answer["failed"] == 0
    settled(stack)
    assert receiver.of("/ok", answer["entries"][0]["EventId"])


def test_a_function_without_it_is_refused(stack: LocalStack) -> None:
    entry = {"Source": "leadloop", "DetailType": "Lead Captured", "Detail": "{}"}
    result = stack.invoke("BarePutterFunction", {"entries": [entry]})
    assert result.json() == {"error": "AccessDeniedException"}


def _entry(detail: str, **extra: Any) -> dict[str, Any]:
    return {"Source": "leadloop.limits", "DetailType": "Limit", "Detail": detail, **extra}


def test_put_events_takes_at_most_10_entries(stack: LocalStack) -> None:
    with pytest.raises(ClientError) as refused:
        stack.client("events").put_events(Entries=[_entry("{}") for _ in range(11)])
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_put_events_entries_total_at_most_256_kb_as_eventbridge_counts_them(stack: LocalStack) -> None:
    events = stack.client("events")
    # 14 bytes for Time, Source, DetailType, Detail and each resource, in UTF-8 ("é" is 2 bytes).
    fixed = 14 + len("leadloop.limits") + len("Limit") + len("arn:aws:s3:::bucket") + len('{"pad":""}')
    room = 262_144 - fixed
    padding = "é" * (room // 2) + "a" * (room % 2)
    extra = {"Time": 1_700_000_000, "Resources": ["arn:aws:s3:::bucket"]}
    exactly = _entry('{"pad":"' + padding + '"}', **extra)
    assert events.put_events(Entries=[exactly])["FailedEntryCount"] == 0
    over = _entry('{"pad":"' + padding + 'a"}', **extra)
    with pytest.raises(ClientError) as refused:
        events.put_events(Entries=[over])
    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"] == "Total size of the entries in the request is over the limit."
    half = _entry(json.dumps({"pad": "a" * 131_100}))  # 131,131 bytes each
    with pytest.raises(ClientError):
        events.put_events(Entries=[half, half])  # the limit is the request's, not an entry's


def test_a_detail_that_is_not_a_json_object_fails_its_entry_only(stack: LocalStack) -> None:
    answer = stack.client("events").put_events(Entries=[_entry("{}"), _entry("[1, 2]"), _entry("not json")])
    assert answer["FailedEntryCount"] == 2
    first, array, text = answer["Entries"]
    assert "EventId" in first
    assert array["ErrorCode"] == text["ErrorCode"] == "MalformedDetail"
