"""Lambda's 6 MB request and response payloads, wherever the local stack invokes a function."""

from __future__ import annotations

import inspect
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadloop_cli.devstack.events.api import INTEGRATION_TIMEOUT_SECONDS, MAX_PAYLOAD_BYTES, ApiGatewayShim, ApiRoute
from leadloop_cli.devstack.events.dynamodb import StreamEventSource, StreamPoller
from leadloop_cli.devstack.events.payload import (
    MAX_EVENT_BYTES,
    MAX_RESPONSE_BYTES,
    limit_response,
    record_bytes,
    request_too_large,
)
from leadloop_cli.devstack.logsink import LogSink
from leadloop_cli.devstack.runtime import InvokeResult
from leadloop_cli.stackclient import wait_until
from tests.unit.devstack.test_event_payload_limit import STREAM_ARN, FakeSqs, FakeStreams, sqs_poller


def _payload_of(size: int) -> str:
    """A JSON string payload of exactly ``size`` bytes."""
    return json.dumps("x" * (size - 2))


def test_a_response_over_6_mib_plus_100_bytes_is_a_function_error() -> None:
    assert MAX_RESPONSE_BYTES == 6_291_556
    fits = InvokeResult(_payload_of(MAX_RESPONSE_BYTES), False, request_id="r1")
    assert limit_response(fits) is fits
    over = limit_response(InvokeResult(_payload_of(MAX_RESPONSE_BYTES + 1), False, request_id="r1"))
    assert over.errored and over.error_type == "Function.ResponseSizeTooLarge" and over.request_id == "r1"
    assert "(6291556 bytes)" in over.json()["errorMessage"]


def test_a_request_over_6_mib_is_refused() -> None:
    assert not request_too_large("x" * (MAX_EVENT_BYTES - 2))  # 6,291,456 bytes with its quotes
    assert request_too_large("x" * (MAX_EVENT_BYTES - 1))
    assert record_bytes({"é": 1}) == len('{"é":1}'.encode())


def _too_large(event: Any) -> InvokeResult:
    return InvokeResult(_payload_of(MAX_RESPONSE_BYTES + 1), False)


def test_an_sqs_batch_whose_response_is_too_large_stays_on_the_queue(tmp_path: Path) -> None:
    sqs = FakeSqs()
    sqs.add("one")
    poller = sqs_poller(tmp_path, sqs, [], batch_size=1)
    poller._invoke = _too_large  # the function answered, but over the limit
    assert poller.poll_once(wait_seconds=0) == 1
    assert sqs.deleted == [] and [m["Body"] for m in sqs.messages] == ["one"]


def test_a_stream_batch_whose_response_is_too_large_is_retried(tmp_path: Path) -> None:
    streams = FakeStreams()
    streams.put("k1", 10)
    answers = [_too_large, lambda event: InvokeResult("null", False)]
    calls: list[int] = []

    def invoke(event: Any) -> InvokeResult:
        calls.append(len(event["Records"]))
        return answers[len(calls) - 1](event)

    source = StreamEventSource(
        "Fn", "Leads", "arn:aws:lambda:us-east-1:123456789012:function:fn", STREAM_ARN,
        starting_position="TRIM_HORIZON",
    )  # fmt: skip
    poller = StreamPoller(
        source, invoke=invoke, streams=streams, clients=lambda _: None, region="us-east-1",
        sink=LogSink(tmp_path / "log"), retry_delay=0,
    )  # fmt: skip
    poller.open()
    assert poller.poll_once(flush=True) == 1
    assert calls == [1, 1]  # the first answer counted as a function error: the same record again


# ------------------------------------------------------------------------------ the API shim


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[LogSink]:
    log = LogSink(tmp_path / "functions.log")
    yield log
    log.close()


def _serve(sink: LogSink, answer: InvokeResult, calls: list[Any]) -> ApiGatewayShim:
    def invoke(event: Any) -> InvokeResult:
        calls.append(event)
        return answer

    route = ApiRoute("WebhookApi", "abc123", "dev", "/webhook", "POST", "WebhookFunction", invoke)
    shim = ApiGatewayShim([route], sink=sink, account_id="123456789012")
    shim.start()
    return shim


def _post(shim: ApiGatewayShim, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(
        shim.url("dev", "/webhook"), data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_api_gateway_takes_10_mb_bodies_and_waits_29_s_by_default() -> None:
    # (413 over 10 MB and 504 after the timeout: test_devstack_stack.py, test_devstack_api_log.py)
    assert MAX_PAYLOAD_BYTES == 10 * 1024 * 1024 and INTEGRATION_TIMEOUT_SECONDS == 29
    assert inspect.signature(ApiGatewayShim).parameters["integration_timeout"].default == 29


def _logged(sink: LogSink, text: str) -> None:
    """The access line is written once the answer is sent: wait for it."""
    wait_until(lambda: text in sink.path.read_text(), timeout=20, what=f"{text!r} in the log")


def test_a_body_under_10_mb_whose_event_passes_6_mb_is_never_invoked(sink: LogSink) -> None:
    calls: list[Any] = []
    shim = _serve(sink, InvokeResult(json.dumps({"statusCode": 200}), False), calls)
    try:
        status, body = _post(shim, b"x" * (MAX_EVENT_BYTES - 100))  # the event's headers push it over
        assert (status, json.loads(body)) == (500, {"message": "Internal server error"})
        assert calls == []
        _logged(sink, "payload is too large for the RequestResponse invocation type")
        assert _post(shim, b"x" * 1000)[0] == 200 and len(calls) == 1
    finally:
        shim.stop()


def test_a_response_over_the_limit_is_a_502(sink: LogSink) -> None:
    calls: list[Any] = []
    answer = InvokeResult(json.dumps({"statusCode": 200, "body": "y" * MAX_RESPONSE_BYTES}), False)
    shim = _serve(sink, answer, calls)
    try:
        status, body = _post(shim, b"{}")
        assert (status, json.loads(body)) == (502, {"message": "Internal server error"})
        _logged(sink, "function error Function.ResponseSizeTooLarge")
    finally:
        shim.stop()
