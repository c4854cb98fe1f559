"""EventBridge's rules as the local stack applies them: sizes, validation, retry schedule, rate limit,
input transformation, the policies EventBridge needs, and the request it sends."""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import pytest

from leadloop_cli.devstack.dynamicrefs import parse_reference
from leadloop_cli.devstack.events.eventbridge import build_request, envelope, iso_time
from leadloop_cli.devstack.intrinsics import TemplateError
from leadloop_cli.devstack.servicerules.eventbridge import (
    MAX_REQUEST_BYTES,
    RateLimiter,
    RetryPolicy,
    api_destination_errors,
    backoff_delay,
    connection_errors,
    dead_letter_attributes,
    detail_error,
    endpoint_error,
    entry_size,
    event_pattern_error,
    identity_allows,
    json_path,
    plan_retry,
    put_events_size_error,
    queue_policy_admits,
    render_target_input,
    retry_after_seconds,
    retryable_status,
    target_errors,
    trusts_service,
)

REGION = "us-east-1"
RULE = "arn:aws:events:us-east-1:123456789012:rule/leads/deliver"
DESTINATION = "arn:aws:events:us-east-1:123456789012:api-destination/crm/5f0c9a1e-0000-4000-8000-000000000000"
DLQ = "arn:aws:sqs:us-east-1:123456789012:delivery-dlq"
EVENT = {
    "version": "0",
    "id": "e-1",
    "detail-type": "Lead Captured",
    "source": "leadloop",
    "account": "123456789012",
    "time": "2026-05-01T12:00:00Z",
    "region": REGION,
    "resources": ["arn:aws:dynamodb:us-east-1:123456789012:table/leads"],
    "detail": {"leadgen_id": "42", "form": {"id": "f1"}, "answers": ["a", "b"]},
}


# ---------------------------------------------------------------------- PutEvents
def test_an_entry_counts_time_as_14_bytes_and_the_rest_in_utf8() -> None:
    entry = {"Source": "leadloop", "DetailType": "Lead Captured", "Detail": '{"n":"é"}', "Resources": ["r1", "ré"]}
    assert entry_size(entry) == 8 + 13 + 10 + 2 + 3
    assert entry_size(entry | {"Time": 1_700_000_000}) == entry_size(entry) + 14
    assert entry_size({"Source": "s", "DetailType": "d"}) == 2


def test_a_request_may_carry_256_kb_of_entries_in_all() -> None:
    base = {"Source": "s", "DetailType": "d"}
    exactly = base | {"Detail": "x" * (MAX_REQUEST_BYTES - 2)}
    assert put_events_size_error([exactly]) is None
    assert put_events_size_error([exactly, base]) == "Total size of the entries in the request is over the limit."


@pytest.mark.parametrize(
    ("detail", "refused"),
    [('{"a": 1}', False), ("{}", False), ("[1, 2]", True), ('"text"', True), ("3", True), ("not json", False)],
)
def test_a_detail_must_be_a_json_object(detail: str, refused: bool) -> None:
    # Text that is not JSON at all is moto's to refuse (it does); this rule adds arrays and scalars.
    assert (detail_error(detail) == "Detail is malformed.") is refused


# ---------------------------------------------------------------------- validation
def _target(**extra: Any) -> dict[str, Any]:
    return {"Id": "t", "Arn": DESTINATION, "RoleArn": "arn:aws:iam::123456789012:role/r"} | extra


def test_a_valid_target_passes() -> None:
    target = _target(
        RetryPolicy={"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}, DeadLetterConfig={"Arn": DLQ}
    )
    assert target_errors([target], region=REGION) == []
    assert (
        target_errors(
            [_target(RetryPolicy={"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400})], region=REGION
        )
        == []
    )


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"RetryPolicy": {"MaximumRetryAttempts": 186}}, "MaximumRetryAttempts"),
        ({"RetryPolicy": {"MaximumRetryAttempts": -1}}, "MaximumRetryAttempts"),
        ({"RetryPolicy": {"MaximumEventAgeInSeconds": 59}}, "MaximumEventAgeInSeconds"),
        ({"RetryPolicy": {"MaximumEventAgeInSeconds": 86401}}, "MaximumEventAgeInSeconds"),
        ({"DeadLetterConfig": {"Arn": "arn:aws:sns:us-east-1:123456789012:topic"}}, "not an SQS queue"),
        ({"DeadLetterConfig": {"Arn": DLQ + ".fifo"}}, "standard queue"),
        ({"DeadLetterConfig": {"Arn": DLQ.replace("us-east-1", "eu-west-1")}}, "Region"),
        ({"RoleArn": None}, "RoleArn must be specified"),
        ({"Input": "{not json"}, "valid JSON"),
        ({"Input": "{}", "InputPath": "$.detail"}, "only one of"),
        ({"InputTransformer": {"InputPathsMap": {"x": "detail"}, "InputTemplate": "<x>"}}, "JSON path"),
        ({"InputTransformer": {"InputPathsMap": {"aws.x": "$.id"}, "InputTemplate": "<x>"}}, "not allowed"),
    ],
)
def test_what_put_targets_refuses_is_named(change: dict[str, Any], complaint: str) -> None:
    errors = target_errors([_target(**change)], region=REGION)
    assert errors and any(complaint in e for e in errors), errors


def test_a_rule_has_at_most_5_targets() -> None:
    targets = [_target(Id=str(n)) for n in range(6)]
    assert any("at most 5" in e for e in target_errors(targets, region=REGION))


@pytest.mark.parametrize(
    ("url", "accepted"),
    [
        ("https://crm.example.com/hook", True),
        ("http://127.0.0.1:8080/hook", True),
        ("http://localhost/hook", True),
        ("http://[::1]:9/hook", True),
        ("http://crm.example.com/hook", False),
        ("ftp://127.0.0.1/hook", False),
        ("crm.example.com", False),
    ],
)
def test_an_endpoint_is_https_or_plain_http_on_this_machine(url: str, accepted: bool) -> None:
    assert (endpoint_error(url) is None) is accepted


def test_an_api_destination_names_its_connection_method_and_a_rate_of_at_least_1() -> None:
    good = {"ConnectionArn": "arn:c", "InvocationEndpoint": "https://x.example", "HttpMethod": "POST"}
    assert api_destination_errors(good) == []
    assert api_destination_errors(good | {"InvocationRateLimitPerSecond": 1}) == []
    assert any("at least 1" in e for e in api_destination_errors(good | {"InvocationRateLimitPerSecond": 0}))
    assert any("HttpMethod" in e for e in api_destination_errors(good | {"HttpMethod": "CONNECT"}))


def test_connections_take_an_api_key_or_basic_auth_and_refuse_oauth_clearly() -> None:
    api_key = {
        "AuthorizationType": "API_KEY",
        "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "h", "ApiKeyValue": "v"}},
    }
    assert connection_errors(api_key) == []
    basic = {
        "AuthorizationType": "BASIC",
        "AuthParameters": {"BasicAuthParameters": {"Username": "u", "Password": "p"}},
    }
    assert connection_errors(basic) == []
    assert (
        "ApiKeyValue"
        in connection_errors(api_key | {"AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "h"}}})[0]
    )
    assert "not emulated" in connection_errors({"AuthorizationType": "OAUTH_CLIENT_CREDENTIALS"})[0]


def test_an_event_pattern_is_a_json_object() -> None:
    assert event_pattern_error({"source": ["leadloop"]}) is None
    assert event_pattern_error('{"source": ["leadloop"]}') is None
    assert "not valid JSON" in str(event_pattern_error('{"source": ['))
    assert event_pattern_error("[]") is not None


# ---------------------------------------------------------------------- retry schedule
def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    rng = random.Random(7)
    for retry in range(1, 30):
        ceiling = min(900.0, 2.0 ** (retry - 1))
        delays = [backoff_delay(retry, rng) for _ in range(50)]
        assert all(0.0 <= d <= ceiling for d in delays)
    assert max(backoff_delay(25, rng) for _ in range(200)) > 450  # the cap, not 2**24


def test_retries_stop_after_maximum_retry_attempts() -> None:
    policy = RetryPolicy(maximum_retry_attempts=2, maximum_event_age=86_400)
    assert plan_retry(policy, retries_done=0, age=0, backoff=1.0, retry_after=None) == (1.0, None)
    assert plan_retry(policy, retries_done=1, age=5, backoff=2.0, retry_after=None) == (2.0, None)
    assert plan_retry(policy, retries_done=2, age=9, backoff=4.0, retry_after=None) == (None, "MaximumRetryAttempts")
    none = RetryPolicy(maximum_retry_attempts=0)
    assert plan_retry(none, retries_done=0, age=0, backoff=1.0, retry_after=None) == (None, "MaximumRetryAttempts")


def test_a_retry_past_the_maximum_event_age_is_not_made() -> None:
    policy = RetryPolicy(maximum_retry_attempts=185, maximum_event_age=60)
    assert plan_retry(policy, retries_done=3, age=50, backoff=9.0, retry_after=None) == (9.0, None)
    assert plan_retry(policy, retries_done=3, age=55, backoff=9.0, retry_after=None) == (
        None,
        "MaximumEventAgeInSeconds",
    )


def test_retry_after_wins_when_longer_and_a_negative_one_stops_the_retries() -> None:
    policy = RetryPolicy()
    assert plan_retry(policy, retries_done=0, age=0, backoff=1.0, retry_after=30.0) == (30.0, None)
    assert plan_retry(policy, retries_done=0, age=0, backoff=8.0, retry_after=2.0) == (8.0, None)
    assert plan_retry(policy, retries_done=0, age=0, backoff=1.0, retry_after=-1.0) == (None, None)
    assert retry_after_seconds("120") == 120.0 and retry_after_seconds("-1") == -1.0
    assert retry_after_seconds(None) is None and retry_after_seconds("Wed, 21 Oct 2015") is None


@pytest.mark.parametrize(
    ("status", "retried"),
    [(429, True), (500, True), (503, True), (599, True), (400, False), (401, False), (404, False), (302, False)],
)
def test_only_429_and_5xx_are_retried(status: int, retried: bool) -> None:
    assert retryable_status(status) is retried


def test_the_default_policy_is_awss() -> None:
    assert RetryPolicy.of({}) == RetryPolicy(185, 86_400)
    assert RetryPolicy.of({"RetryPolicy": {"MaximumRetryAttempts": "3"}}) == RetryPolicy(3, 86_400)


# ---------------------------------------------------------------------- rate limit
def test_the_rate_limit_admits_n_starts_per_second_and_says_when_the_next_may_start() -> None:
    limiter = RateLimiter(3)
    assert [limiter.acquire(10.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire(10.25) == pytest.approx(0.75)
    assert limiter.acquire(11.0) == 0.0
    assert limiter.acquire(11.0) == 0.0
    assert limiter.acquire(11.5) == 0.0
    assert limiter.acquire(11.6) == pytest.approx(0.4)


def test_a_greedy_sender_never_starts_more_than_the_limit_in_any_second() -> None:
    limiter, now = RateLimiter(4), 0.0
    starts: list[float] = []
    rng = random.Random(3)
    while len(starts) < 60:
        wait = limiter.acquire(now)
        if wait == 0.0:
            starts.append(now)
        now += wait + rng.choice([0.0, 0.0, 0.01, 0.3])
    assert all(later - earlier >= 1.0 for earlier, later in zip(starts, starts[4:], strict=False))
    assert starts[-1] < 60 / 4 + 5  # and it does not starve either


# ---------------------------------------------------------------------- input
def test_without_input_settings_the_target_gets_the_event_as_compact_json() -> None:
    assert json.loads(render_target_input({}, EVENT, rule_arn=RULE, ingestion_time="t")) == EVENT
    assert (
        render_target_input({"Input": '{"fixed": true}'}, EVENT, rule_arn=RULE, ingestion_time="t") == '{"fixed": true}'
    )
    assert (
        render_target_input({"InputPath": "$.detail.form"}, EVENT, rule_arn=RULE, ingestion_time="t") == '{"id":"f1"}'
    )


def test_an_input_transformer_quotes_by_context_and_knows_the_predefined_variables() -> None:
    transformer = {
        "InputPathsMap": {
            "lead": "$.detail.leadgen_id",
            "form": "$.detail.form",
            "first": "$.detail.answers[0]",
            "gone": "$.detail.nope",
        },
        "InputTemplate": (
            '{"lead": <lead>, "form": <form>, "said": "lead <lead> on form <form>", "first": "<first>", '
            '"gone": <gone>, "rule": "<aws.events.rule-name>", "arn": <aws.events.rule-arn>, '
            '"at": "<aws.events.event.ingestion-time>", '
            '"envelope": <aws.events.event>, "escaped": "\\"<lead>\\""}'
        ),
    }
    rendered = json.loads(
        render_target_input(
            {"InputTransformer": transformer}, EVENT, rule_arn=RULE, ingestion_time="2026-05-01T12:00:00.123Z"
        )
    )
    assert rendered["lead"] == "42" and rendered["form"] == {"id": "f1"}
    assert rendered["said"] == 'lead 42 on form {"id":"f1"}' and rendered["first"] == "a"
    assert rendered["gone"] is None and rendered["rule"] == "deliver" and rendered["arn"] == RULE
    assert rendered["at"] == "2026-05-01T12:00:00.123Z"
    assert "detail" not in rendered["envelope"] and rendered["envelope"]["id"] == "e-1"
    assert rendered["escaped"] == '"42"'
    plain = {"InputPathsMap": {"kind": "$.detail-type"}, "InputTemplate": "A <kind> happened"}
    assert (
        render_target_input({"InputTransformer": plain}, EVENT, rule_arn=RULE, ingestion_time="t")
        == 'A "Lead Captured" happened'
    )


def test_json_paths_reach_keys_and_indexes() -> None:
    assert json_path(EVENT, "$.detail.answers[1]") == (True, "b")
    assert json_path(EVENT, "$['detail-type']") == (True, "Lead Captured")
    assert json_path(EVENT, "$") == (True, EVENT)
    assert json_path(EVENT, "$.detail.answers[5]") == (False, None)
    assert json_path(EVENT, "detail") == (False, None)


# ---------------------------------------------------------------------- policies
ROLE_POLICY = {
    "Statement": [
        {"Effect": "Allow", "Action": "events:InvokeApiDestination", "Resource": DESTINATION},
        {"Effect": "Allow", "Action": ["events:Invoke*"], "Resource": "arn:aws:events:*:*:api-destination/other/*"},
    ]
}


def test_the_role_must_allow_invoking_this_destination() -> None:
    assert identity_allows([ROLE_POLICY], "events:InvokeApiDestination", [DESTINATION])
    other = DESTINATION.replace("/crm/", "/other/")
    assert identity_allows([ROLE_POLICY], "events:InvokeApiDestination", [other])
    assert not identity_allows([ROLE_POLICY], "events:InvokeApiDestination", [DESTINATION.replace("/crm/", "/x/")])
    assert not identity_allows([ROLE_POLICY], "events:PutEvents", [DESTINATION])
    deny = {"Statement": [{"Effect": "Deny", "NotAction": "sqs:*", "Resource": "*"}]}
    assert not identity_allows([ROLE_POLICY, deny], "events:InvokeApiDestination", [DESTINATION])
    by_name = {
        "Statement": [
            {"Effect": "Allow", "Action": "events:InvokeApiDestination", "Resource": DESTINATION.rsplit("/", 1)[0]}
        ]
    }
    assert identity_allows([by_name], "events:InvokeApiDestination", [DESTINATION, DESTINATION.rsplit("/", 1)[0]])


def test_the_role_must_trust_eventbridge() -> None:
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    assert trusts_service(trust)
    lambda_trust = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": "sts:AssumeRole"}
        ]
    }
    assert not trusts_service(lambda_trust)
    assert not trusts_service(None)


def _queue_policy(condition: Any = None, **statement: Any) -> dict[str, Any]:
    base = {
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": DLQ,
    }
    if condition is not None:
        base["Condition"] = condition
    return {"Statement": [base | statement]}


def test_the_dead_letter_queue_must_admit_eventbridge_for_this_rule() -> None:
    def admits(policy: Any) -> tuple[bool, str | None]:
        return queue_policy_admits(policy, queue_arn=DLQ, source_arn=RULE, source_account="123456789012")

    assert admits(_queue_policy()) == (True, None)
    assert admits(_queue_policy({"ArnEquals": {"aws:SourceArn": RULE}})) == (True, None)
    assert admits(_queue_policy({"ArnLike": {"aws:SourceArn": "arn:aws:events:*:*:rule/leads/*"}})) == (True, None)
    assert admits(_queue_policy({"StringEquals": {"aws:SourceAccount": "123456789012"}})) == (True, None)
    assert admits(_queue_policy({"ArnEquals": {"aws:SourceArn": RULE + "-other"}})) == (False, None)
    assert admits(None) == (False, None)
    assert admits(_queue_policy(Principal={"Service": "sns.amazonaws.com"})) == (False, None)
    assert admits(_queue_policy(Resource="arn:aws:sqs:us-east-1:123456789012:other")) == (False, None)
    refused, note = admits(_queue_policy({"Bool": {"aws:SecureTransport": "true"}}))
    assert not refused and "not evaluated locally" in str(note)
    deny = {
        "Statement": [
            *_queue_policy()["Statement"],
            {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": DLQ},
        ]
    }
    assert admits(deny) == (False, None)


def test_dead_letters_carry_eventbridges_attributes() -> None:
    found = dead_letter_attributes(
        rule_arn=RULE,
        target_arn=DESTINATION,
        error_code="SDK_CLIENT_ERROR",
        error_message="m",
        retry_attempts=3,
        exhausted="MaximumRetryAttempts",
    )
    assert {k: v["StringValue"] for k, v in found.items()} == {
        "RULE_ARN": RULE,
        "TARGET_ARN": DESTINATION,
        "ERROR_CODE": "SDK_CLIENT_ERROR",
        "ERROR_MESSAGE": "m",
        "RETRY_ATTEMPTS": "3",
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
    }
    assert all(v["DataType"] == "String" for v in found.values())
    without = dead_letter_attributes(
        rule_arn=RULE, target_arn=DESTINATION, error_code="C", error_message="", retry_attempts=0, exhausted=None
    )
    assert "EXHAUSTED_RETRY_CONDITION" not in without and without["ERROR_MESSAGE"]["StringValue"] == "C"


# ---------------------------------------------------------------------- the request
def test_the_request_carries_the_api_key_and_eventbridges_headers() -> None:
    url, headers = build_request(
        endpoint="https://crm.example.com/leads/*/in?src=eb",
        authorization_type="API_KEY",
        auth_parameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "Authorization", "ApiKeyValue": "Bearer t0k"},
            "InvocationHttpParameters": {"HeaderParameters": [{"Key": "X-Team", "Value": "growth"}]},
        },
        http_parameters={
            "PathParameterValues": ["$.detail.leadgen_id"],
            "HeaderParameters": {"X-Kind": "$.detail-type"},
            "QueryStringParameters": {"v": "2"},
        },
        event=EVENT,
    )
    assert url == "https://crm.example.com/leads/42/in?src=eb&v=2"
    assert (
        headers["Authorization"] == "Bearer t0k"
        and headers["X-Team"] == "growth"
        and headers["X-Kind"] == "Lead Captured"
    )
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["User-Agent"] == "Amazon/EventBridge/ApiDestinations"


def test_basic_auth_is_a_basic_authorization_header() -> None:
    _, headers = build_request(
        endpoint="http://127.0.0.1:9/in",
        authorization_type="BASIC",
        auth_parameters={"BasicAuthParameters": {"Username": "u", "Password": "p:w"}},
        http_parameters=None,
        event=EVENT,
    )
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"u:p:w").decode()


def test_the_event_is_shaped_as_eventbridge_delivers_it() -> None:
    message = dict(EVENT, time=1_777_636_800.5, **{"ingestion-time": 1_777_636_801.0})
    shaped = envelope(message)
    assert list(shaped) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    assert shaped["time"] == "2026-05-01T12:00:00Z"
    assert iso_time(1_777_636_800.5, milliseconds=True) == "2026-05-01T12:00:00.500Z"
    assert envelope(dict(EVENT, **{"replay-name": "r"}))["replay-name"] == "r"


# ---------------------------------------------------------------------- dynamic references
def test_dynamic_references_name_a_secret_by_name_or_arn_and_optionally_a_key() -> None:
    assert parse_reference("secretsmanager:crm-token:SecretString") == (
        "secretsmanager",
        {"secret_id": "crm-token", "json_key": None, "version_stage": None, "version_id": None},
    )
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:crm-AbCdEf"
    _, parts = parse_reference(f"secretsmanager:{arn}:SecretString:apiKey::v1")
    assert parts == {"secret_id": arn, "json_key": "apiKey", "version_stage": None, "version_id": "v1"}
    assert parse_reference("secretsmanager:crm-token") == (
        "secretsmanager",
        {"secret_id": "crm-token", "json_key": None, "version_stage": None, "version_id": None},
    )
    assert parse_reference("ssm:/leadloop/routing:3") == ("ssm", {"name": "/leadloop/routing", "version": "3"})
    assert parse_reference("ssm-secure:/x") == ("ssm-secure", {"name": "/x", "version": None})
    with pytest.raises(TemplateError):
        parse_reference("secretsmanager:crm-token:SecretBinary")
    with pytest.raises(TemplateError):
        parse_reference("s3:bucket")


# ---------------------------------------------------------------------- template rules
RULES_TEMPLATE = """
Parameters:
  DeliveryUrl: {Type: String, Default: ""}
  SecretName: {Type: String, Default: ""}
Rules:
  UrlNeedsSecret:
    RuleCondition: !Not [!Equals [!Ref DeliveryUrl, ""]]
    Assertions:
      - Assert: !Not [!Equals [!Ref SecretName, ""]]
        AssertDescription: DeliveryUrl needs SecretName.
  KnownSecret:
    Assertions:
      - Assert: !Contains [["", "crm-token", "other"], !Ref SecretName]
  Unknowable:
    Assertions:
      - Assert: !EachMemberEquals [!ValueOfAll ["AWS::EC2::Subnet::Id", VpcId], vpc-1]
Resources:
  Queue: {Type: AWS::SQS::Queue}
"""


def test_template_rules_refuse_what_cloudformation_would(tmp_path: Any) -> None:
    from leadloop_cli.devstack.template import load_template

    path = tmp_path / "template.yaml"
    path.write_text(RULES_TEMPLATE)
    load_template(path, stack_name="s")
    load_template(
        path, stack_name="s", parameter_overrides={"DeliveryUrl": "https://x.example", "SecretName": "crm-token"}
    )
    with pytest.raises(TemplateError, match="template rule UrlNeedsSecret: DeliveryUrl needs SecretName"):
        load_template(path, stack_name="s", parameter_overrides={"DeliveryUrl": "https://x.example"})
    with pytest.raises(TemplateError, match="template rule KnownSecret: an assertion failed"):
        load_template(path, stack_name="s", parameter_overrides={"SecretName": "nope"})
