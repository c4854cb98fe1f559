"""Pure event-source rules: filter patterns, partial batch responses, schedule expressions, API proxy mapping."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadloop_cli.devstack.events.api import ApiRoute, build_proxy_event, is_binary, match_route, proxy_response
from leadloop_cli.devstack.events.batch import failed_item_ids
from leadloop_cli.devstack.events.filters import FilterPatternError, compile_filter_criteria, matches, parse_pattern
from leadloop_cli.devstack.events.schedule import ScheduleExpressionError, ScheduleTimer, next_fire, schedule_event
from leadloop_cli.devstack.logsink import LogSink
from leadloop_cli.devstack.resources import ScheduleSpec
from leadloop_cli.devstack.runtime import InvokeResult

RECORD = {
    "eventName": "MODIFY",
    "dynamodb": {
        "NewImage": {"status": {"S": "FETCHED"}, "attempts": {"N": "3"}, "email": {"S": "a@example.com"}},
        "OldImage": {"status": {"S": "NEW"}},
    },
    "body": {"count": 3, "flag": True, "note": None, "empty": ""},
    "tags": ["x", "y"],
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"eventName": ["INSERT", "MODIFY"], "dynamodb": {"NewImage": {"status": {"S": ["FETCHED"]}}}}, True),
        ({"eventName": ["INSERT"]}, False),
        ({"dynamodb": {"NewImage": {"status": {"S": [{"prefix": "FETCH"}]}}}}, True),
        ({"dynamodb": {"NewImage": {"email": {"S": [{"suffix": "@example.com"}]}}}}, True),
        ({"dynamodb": {"NewImage": {"status": {"S": [{"anything-but": ["NEW", "FAILED"]}]}}}}, True),
        ({"dynamodb": {"OldImage": {"status": {"S": [{"anything-but": "NEW"}]}}}}, False),
        ({"dynamodb": {"NewImage": {"status": {"S": [{"equals-ignore-case": "fetched"}]}}}}, True),
        # DynamoDB's numbers are strings: on AWS numeric (and an exact number) never match them
        ({"dynamodb": {"NewImage": {"attempts": {"N": [{"numeric": [">", 2, "<=", 3]}]}}}}, False),
        ({"dynamodb": {"NewImage": {"attempts": {"N": [{"numeric": ["=", 3]}]}}}}, False),
        ({"dynamodb": {"NewImage": {"attempts": {"N": [3]}}}}, False),
        ({"dynamodb": {"NewImage": {"attempts": {"N": ["3"]}}}}, True),
        ({"body": {"count": [{"numeric": [">", 2, "<=", 3]}]}}, True),
        ({"body": {"count": [{"numeric": ["<", 3]}]}}, False),
        ({"body": {"count": [3]}}, True),
        ({"body": {"flag": [True], "note": [None], "empty": [""]}}, True),
        ({"dynamodb": {"NewImage": {"deleted": [{"exists": False}]}}}, True),
        ({"dynamodb": {"NewImage": {"status": [{"exists": True}]}}}, False),  # an object is not a leaf
        ({"dynamodb": {"NewImage": {"status": {"S": [{"exists": True}]}}}}, True),
        ({"dynamodb": {"Missing": {"x": ["y"]}}}, False),
        ({"tags": ["y"]}, True),
        ({"$or": [{"eventName": ["REMOVE"]}, {"tags": ["x"]}]}, True),
    ],
)
def test_filter_patterns(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(parse_pattern(json.dumps(pattern)), RECORD) is expected


@pytest.mark.parametrize(
    "rule",
    [
        {"wildcard": "*@example.*"},
        {"cidr": "10.0.0.0/16"},
        {"anything-but": {"prefix": "FE"}},
        {"prefix": {"equals-ignore-case": "fe"}},
        {"numeric": ["!", 1]},
        {"numeric": [">", "1"]},
        {"prefix": "a", "suffix": "b"},
        {"contains": "x"},
    ],
)
def test_operators_lambda_does_not_document_are_refused(rule: dict[str, Any]) -> None:
    with pytest.raises(FilterPatternError):
        parse_pattern(json.dumps({"dynamodb": {"NewImage": {"status": {"S": [rule]}}}}))


def test_filter_criteria_any_filter_matches_and_bad_patterns_fail() -> None:
    predicate = compile_filter_criteria(
        {"Filters": [{"Pattern": '{"eventName": ["INSERT"]}'}, {"Pattern": '{"eventName": ["MODIFY"]}'}]}
    )
    assert predicate is not None and predicate(RECORD) and not predicate({"eventName": "REMOVE"})
    assert compile_filter_criteria(None) is None
    with pytest.raises(FilterPatternError):
        parse_pattern('{"eventName": "INSERT"}')  # values must be arrays
    with pytest.raises(FilterPatternError):
        parse_pattern('{"$or": [{"eventName": ["INSERT"]}]}')  # $or needs two patterns
    assert matches({"n": [5]}, {"n": 5.0}) and not matches({"n": [5]}, {"n": "5"})


def _criteria(count: int, pattern: str = '{"eventName": ["INSERT"]}') -> dict[str, Any]:
    return {"Filters": [{"Pattern": pattern} for _ in range(count)]}


def test_lambda_takes_five_filters_per_event_source() -> None:
    assert compile_filter_criteria(_criteria(5)) is not None
    with pytest.raises(FilterPatternError, match="6 filters; Lambda allows 5"):
        compile_filter_criteria(_criteria(6))


def test_a_pattern_is_a_string_of_at_most_4096_characters() -> None:
    def pattern(length: int) -> str:
        head = '{"eventName": ["'
        text = head + "x" * (length - len(head) - 3) + '"]}'
        assert len(text) == length
        return text

    assert compile_filter_criteria(_criteria(1, pattern(4096))) is not None
    with pytest.raises(FilterPatternError, match="4097 characters; Lambda allows 4096"):
        compile_filter_criteria(_criteria(1, pattern(4097)))
    with pytest.raises(FilterPatternError, match="string of JSON"):
        compile_filter_criteria({"Filters": [{"Pattern": {"eventName": ["INSERT"]}}]})


def _result(body: Any, errored: bool = False) -> InvokeResult:
    return InvokeResult(json.dumps(body) if not isinstance(body, str) else body, errored)


def test_partial_batch_response_rules() -> None:
    ids = {"m1", "m2"}
    assert failed_item_ids(_result(None), ids) == set()
    assert failed_item_ids(_result({}), ids) == set()
    assert failed_item_ids(_result({"batchItemFailures": []}), ids) == set()
    assert failed_item_ids(_result({"batchItemFailures": None}), ids) == set()
    assert failed_item_ids(_result({"batchItemFailures": [{"itemIdentifier": "m2"}]}), ids) == {"m2"}
    for whole_batch in (
        {"batchItemFailures": [{"itemIdentifier": "other"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": None}]},
        {"batchItemFailures": [{"wrongKey": "m1"}]},
        "not json",
        [1, 2],
    ):
        assert failed_item_ids(_result(whole_batch), ids) is None, whole_batch
    assert failed_item_ids(_result({"errorType": "X"}, errored=True), ids) is None


AT = datetime(2026, 11, 24, 10, 30, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("rate(1 hour)", datetime(2026, 11, 24, 11, 30, 15, tzinfo=UTC)),
        ("rate(5 minutes)", datetime(2026, 11, 24, 10, 35, 15, tzinfo=UTC)),
        ("rate(2 days)", datetime(2026, 11, 26, 10, 30, 15, tzinfo=UTC)),
        ("cron(0 3 * * ? *)", datetime(2026, 11, 25, 3, 0, tzinfo=UTC)),
        ("cron(45 10 * * ? *)", datetime(2026, 11, 24, 10, 45, tzinfo=UTC)),
        ("cron(0/15 * * * ? *)", datetime(2026, 11, 24, 10, 45, tzinfo=UTC)),
        ("cron(0 9 ? * MON-FRI *)", datetime(2026, 11, 25, 9, 0, tzinfo=UTC)),  # Tue 24th 10:30 -> Wed 9:00
        ("cron(0 12 ? * 1 *)", datetime(2026, 11, 29, 12, 0, tzinfo=UTC)),  # 1 = Sunday
        ("cron(0 0 L * ? *)", datetime(2026, 11, 30, 0, 0, tzinfo=UTC)),
        ("cron(0 8 ? * 2#1 *)", datetime(2026, 12, 7, 8, 0, tzinfo=UTC)),  # first Monday of December
        ("cron(0 8 1 JAN ? 2027)", datetime(2027, 1, 1, 8, 0, tzinfo=UTC)),
        ("at(2026-11-24T12:00:00)", datetime(2026, 11, 24, 12, 0, tzinfo=UTC)),
        ("at(2026-11-24T09:00:00)", None),
    ],
)
def test_schedule_expressions(expression: str, expected: datetime | None) -> None:
    assert next_fire(expression, AT) == expected


def test_schedule_timezone_and_errors() -> None:
    # 03:00 in New York (EST, UTC-5) is 08:00 UTC
    assert next_fire("cron(0 3 * * ? *)", AT, "America/New_York") == datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    for bad in ("rate(1 week)", "cron(0 3 * * *)", "cron(0 3 * * MON *)", "every hour", "cron(0 3 LW * ? *)"):
        with pytest.raises(ScheduleExpressionError):
            next_fire(bad, AT)


def test_schedule_events() -> None:
    v2 = ScheduleSpec("Fn", "Hourly", "ScheduleV2", "rate(1 hour)", "arn:fn", "function", input='{"trigger": "s"}')
    assert schedule_event(v2, region="us-east-1", account_id="1") == {"trigger": "s"}
    assert (
        schedule_event(
            ScheduleSpec("Fn", "E", "ScheduleV2", "rate(1 hour)", "a", "function"), region="r", account_id="1"
        )
        == {}
    )
    rule = schedule_event(
        ScheduleSpec("Fn", "Nightly", "Schedule", "rate(1 day)", "a", "function"),
        region="eu-west-1",
        account_id="123",
        now=AT,
    )
    assert rule["detail-type"] == "Scheduled Event" and rule["source"] == "aws.events"
    assert rule["time"] == "2026-11-24T10:30:15Z" and rule["region"] == "eu-west-1" and rule["detail"] == {}


def _route(path: str, method: str = "GET", stage: str = "dev", binary: tuple[str, ...] = ()) -> ApiRoute:
    return ApiRoute("Api", "abc123", stage, path, method, "Fn", lambda event: InvokeResult("{}", False), binary)


def test_route_matching_prefers_specific_routes() -> None:
    routes = [_route("/{proxy+}", "ANY"), _route("/items/{id}"), _route("/items/special"), _route("/webhook", "POST")]
    route, params = match_route(routes, "dev", "/items/special", "GET") or (None, None)
    assert route is routes[2] and params == {}
    route, params = match_route(routes, "dev", "/items/42", "GET") or (None, None)
    assert route is routes[1] and params == {"id": "42"}
    route, params = match_route(routes, "dev", "/a/b/c", "DELETE") or (None, None)
    assert route is routes[0] and params == {"proxy": "a/b/c"}
    assert match_route(routes, "prod", "/webhook", "POST") is None
    assert match_route([_route("/webhook", "POST")], "dev", "/webhook", "GET") is None


def test_proxy_event_shape() -> None:
    now = datetime(2026, 11, 24, 10, 30, 15, tzinfo=UTC)
    event = build_proxy_event(
        _route("/leads/{id}", "POST"),
        method="POST",
        path="/leads/7",
        query="a=1&a=2&b=",
        headers=[("X-Hub-Signature-256", "sha256=x"), ("Accept", "a"), ("Accept", "b")],
        body=b'{"a": 1}',
        path_parameters={"id": "7"},
        source_ip="1.2.3.4",
        account_id="123",
        request_id="req-1",
        now=now,
    )
    assert event["isBase64Encoded"] is False and event["body"] == '{"a": 1}'
    assert event["headers"] == {"X-Hub-Signature-256": "sha256=x", "Accept": "b"}
    assert event["multiValueHeaders"]["Accept"] == ["a", "b"]
    assert event["queryStringParameters"] == {"a": "2", "b": ""}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""]}
    assert event["pathParameters"] == {"id": "7"} and event["stageVariables"] is None
    context = event["requestContext"]
    assert context["requestTimeEpoch"] == int(now.timestamp() * 1000)
    assert context["requestTime"] == "24/Nov/2026:10:30:15 +0000"
    assert context["path"] == "/dev/leads/7" and context["resourcePath"] == "/leads/{id}"
    assert context["identity"]["sourceIp"] == "1.2.3.4" and context["accountId"] == "123"
    empty = build_proxy_event(
        _route("/x"),
        method="GET",
        path="/x",
        query="",
        headers=[],
        body=b"",
        path_parameters={},
        source_ip="1.2.3.4",
        account_id="1",
    )
    assert empty["body"] is None and empty["queryStringParameters"] is None and empty["headers"] is None


def _post(route: ApiRoute, body: bytes, content_type: str | None) -> dict[str, Any]:
    headers = [("Content-Type", content_type)] if content_type else []
    return build_proxy_event(
        route,
        method="POST",
        path="/up",
        query="",
        headers=headers,
        body=body,
        path_parameters={},
        source_ip="1.2.3.4",
        account_id="1",
    )


def test_a_body_is_base64_only_for_the_apis_binary_media_types() -> None:
    raw = b"\x89PNG\xff\x00"
    # No BinaryMediaTypes (WebhookApi's case): every body is text, even bytes that are not UTF-8
    plain = _post(_route("/up", "POST"), raw, "image/png")
    assert plain["isBase64Encoded"] is False and plain["body"] == raw.decode("utf-8", errors="replace")
    json_body = _post(_route("/up", "POST", binary=("image/png",)), b'{"x": 1}', "application/json")
    assert json_body["isBase64Encoded"] is False and json_body["body"] == '{"x": 1}'
    for types, content_type in ((("image/png",), "image/png"), (("image/*",), "IMAGE/PNG; q=1"), (("*/*",), "a/b")):
        event = _post(_route("/up", "POST", binary=types), raw, content_type)
        assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == raw
    assert is_binary(None, ("*/*",)) is False and is_binary("text/plain", ()) is False


def test_proxy_response_mapping() -> None:
    response = proxy_response(
        InvokeResult(
            json.dumps(
                {
                    "statusCode": 202,
                    "headers": {"X-One": "1", "Set-Cookie": "ignored"},
                    "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                    "body": "done",
                }
            ),
            False,
        )
    )
    assert response.status == 202 and response.body == b"done"
    assert ("Set-Cookie", "a=1") in response.headers and ("Set-Cookie", "b=2") in response.headers
    assert ("Set-Cookie", "ignored") not in response.headers
    assert ("Content-Type", "application/json") in response.headers  # API Gateway's default
    encoded = InvokeResult(
        json.dumps({"statusCode": 200, "isBase64Encoded": True, "body": base64.b64encode(b"\x00\x01").decode()}),
        False,
    )
    assert proxy_response(encoded, binary_media_types=("*/*",), accept="image/png").body == b"\x00\x01"
    # without a binary media type API Gateway sends the base64 text as it is
    assert proxy_response(encoded, accept="image/png").body == base64.b64encode(b"\x00\x01")
    for bad in ({"statusCode": "OK"}, {"statusCode": 200, "body": {"not": "a string"}}, [1]):
        assert proxy_response(InvokeResult(json.dumps(bad), False)).status == 502
    error = proxy_response(InvokeResult('{"errorType": "X"}', True))
    assert error.status == 502 and json.loads(error.body) == {"message": "Internal server error"}


def test_schedule_timer_fires_on_time(tmp_path: Path) -> None:
    sink = LogSink(tmp_path / "log")
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    spec = ScheduleSpec("Fn", "Once", "ScheduleV2", f"at({when:%Y-%m-%dT%H:%M:%S})", "arn", "function", input="{}")
    fired = threading.Event()
    fired_at: list[datetime] = []

    def fire(fired_spec: ScheduleSpec) -> None:
        fired_at.append(datetime.now(UTC))
        fired.set()

    timer = ScheduleTimer(spec, fire, sink)
    timer.start()
    try:
        assert fired.wait(5)
    finally:
        timer.stop()
        timer.join()
        sink.close()
    assert when <= fired_at[0] < when + timedelta(seconds=1)
    assert timer.fired == 1
    assert "[Fn.Once] next run" in (tmp_path / "log").read_text()
