"""The API-destination delivery on its own: timeouts, unreachable endpoints, Retry-After, event age.

A tiny HTTP server plays the endpoint and a fake SQS client the dead-letter queue; the stack's
integration tests (``test_devstack_eventbridge.py``) cover the same delivery inside moto. The retry
clock is scaled to milliseconds; no assertion depends on how long anything took.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from leadloop_cli.devstack.events.eventbridge import ApiDestinationCall, ApiDestinationDelivery, RoleDocuments
from leadloop_cli.devstack.servicerules.eventbridge import RetryPolicy

RULE = "arn:aws:events:us-east-1:123456789012:rule/leads/deliver"
TARGET = "arn:aws:events:us-east-1:123456789012:api-destination/crm/0000"
DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq"
ROLE = "arn:aws:iam::123456789012:role/delivery"
TRUST = {
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}]
}
INVOKE = {"Statement": [{"Effect": "Allow", "Action": "events:InvokeApiDestination", "Resource": "*"}]}
ADMIT = {
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage"}]
}


class FakeSqs:
    """The dead-letter queue: its policy, and what was sent to it."""

    def __init__(self, policy: Any = ADMIT) -> None:
        self.policy = policy
        self.sent: list[dict[str, Any]] = []

    def get_queue_url(self, **kwargs: Any) -> dict[str, str]:
        return {"QueueUrl": "https://sqs.local/dlq"}

    def get_queue_attributes(self, **kwargs: Any) -> dict[str, Any]:
        return {"Attributes": {"Policy": json.dumps(self.policy)}} if self.policy else {}

    def send_message(self, **kwargs: Any) -> dict[str, str]:
        self.sent.append(kwargs)
        return {"MessageId": "m"}


class Endpoint:
    """Answers each request with ``respond(n)``: (status, headers, seconds to wait first)."""

    def __init__(self, respond: Callable[[int], tuple[int, dict[str, str], float]]) -> None:
        self.count = 0
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with endpoint._lock:
                    endpoint.count += 1
                    status, headers, wait = respond(endpoint.count)
                time.sleep(wait)
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:  # the client gave up (timeout)
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/in"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def delivery() -> Iterator[Callable[..., tuple[ApiDestinationDelivery, FakeSqs]]]:
    started: list[ApiDestinationDelivery] = []

    def make(*, policy: Any = ADMIT, timeout: float = 5.0) -> tuple[ApiDestinationDelivery, FakeSqs]:
        sqs = FakeSqs(policy)
        running = ApiDestinationDelivery(
            sqs=sqs, roles=lambda arn: RoleDocuments(TRUST, [INVOKE]), time_scale=0.001, timeout=timeout, workers=2
        )
        running.start()
        started.append(running)
        return running, sqs

    yield make
    for running in started:
        running.stop()


def call(url: str, retry: RetryPolicy, event_id: str = "e-1") -> ApiDestinationCall:
    event = {"version": "0", "id": event_id, "detail-type": "Lead Captured", "source": "leadloop", "detail": {}}
    return ApiDestinationCall(
        event=event,
        body=json.dumps(event),
        rule_arn=RULE,
        target_id="crm",
        target_arn=TARGET,
        role_arn=ROLE,
        retry=retry,
        dead_letter_arn=DLQ,
        url=url,
        headers={"Content-Type": "application/json"},
    )


def deliver_one(
    delivery: Callable[..., tuple[ApiDestinationDelivery, FakeSqs]],
    endpoint: Endpoint,
    retry: RetryPolicy,
    *,
    wait: float = 30.0,
    **options: Any,
) -> tuple[ApiDestinationDelivery, FakeSqs]:
    """Send one event to ``endpoint`` and wait until nothing is left to do; the endpoint is closed after."""
    try:
        running, sqs = delivery(**options)
        running.submit(call(endpoint.url, retry))
        assert running.wait_idle(wait)
    finally:
        endpoint.close()
    return running, sqs


def dead_letter(sqs: FakeSqs) -> dict[str, str]:
    [message] = sqs.sent
    return {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}


def test_a_timeout_is_retried_then_dead_lettered_as_a_timeout(delivery: Any) -> None:
    endpoint = Endpoint(lambda n: (200, {}, 2.0))
    running, sqs = deliver_one(delivery, endpoint, RetryPolicy(maximum_retry_attempts=1), timeout=0.2)
    found = dead_letter(sqs)
    assert found["ERROR_CODE"] == "TIMEOUT" and found["RETRY_ATTEMPTS"] == "1"
    assert found["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert [a.error for a in running.attempts] == ["TIMEOUT", "TIMEOUT"]


def test_an_unreachable_endpoint_is_retried(delivery: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    running, sqs = delivery()
    running.submit(call(f"http://127.0.0.1:{port}/in", RetryPolicy(maximum_retry_attempts=2)))
    assert running.wait_idle(30)
    found = dead_letter(sqs)
    assert found["ERROR_CODE"] == "SDK_CLIENT_ERROR" and "cannot be reached" in found["ERROR_MESSAGE"]
    assert found["RETRY_ATTEMPTS"] == "2"


def test_a_negative_retry_after_stops_the_retries(delivery: Any) -> None:
    endpoint = Endpoint(lambda n: (429, {"Retry-After": "-1"}, 0.0))
    _, sqs = deliver_one(delivery, endpoint, RetryPolicy())
    assert endpoint.count == 1
    found = dead_letter(sqs)
    assert (
        found["RETRY_ATTEMPTS"] == "0" and "EXHAUSTED_RETRY_CONDITION" not in found and "429" in found["ERROR_MESSAGE"]
    )


def test_retries_end_when_the_event_would_outlive_its_maximum_age(delivery: Any) -> None:
    endpoint = Endpoint(lambda n: (503, {}, 0.0))
    _, sqs = deliver_one(delivery, endpoint, RetryPolicy(maximum_retry_attempts=185, maximum_event_age=60), wait=60)
    found = dead_letter(sqs)
    assert found["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert int(found["RETRY_ATTEMPTS"]) == endpoint.count - 1 < 185


def test_a_redirect_is_an_answer_not_followed_and_not_retried(delivery: Any) -> None:
    endpoint = Endpoint(lambda n: (302, {"Location": "https://elsewhere.example/"}, 0.0))
    _, sqs = deliver_one(delivery, endpoint, RetryPolicy())
    assert endpoint.count == 1 and "302" in dead_letter(sqs)["ERROR_MESSAGE"]


def test_a_queue_that_does_not_admit_eventbridge_gets_nothing(delivery: Any) -> None:
    endpoint = Endpoint(lambda n: (400, {}, 0.0))
    running, sqs = deliver_one(delivery, endpoint, RetryPolicy(), policy=None)
    assert sqs.sent == []
    [outcome] = running.outcomes
    assert outcome.result == "dropped" and "InvocationsFailedToBeSentToDLQ" in str(outcome.reason)


def test_stop_drops_what_is_still_scheduled(delivery: Any) -> None:
    endpoint = Endpoint(lambda n: (503, {"Retry-After": "3600"}, 0.0))  # an hour, scaled: 3.6 s
    try:
        running, sqs = delivery()
        running.submit(call(endpoint.url, RetryPolicy()))
        deadline = time.monotonic() + 30
        while not running.attempts and time.monotonic() < deadline:
            time.sleep(0.01)
        running.stop()
        assert running.wait_idle(1)
    finally:
        endpoint.close()
    assert sqs.sent == [] and endpoint.count == 1
