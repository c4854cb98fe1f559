import json

import pytest

from leadloop.graph.errors import (
    GraphAuthError,
    GraphPermanentError,
    GraphRetryableError,
    GraphThrottledError,
    error_from_response,
)
from leadloop.graph.usage import GraphUsage


def err(code, subcode=None, **extra):
    e = {"message": "msg", "type": "OAuthException", "code": code, "fbtrace_id": "AbC", **extra}
    if subcode is not None:
        e["error_subcode"] = subcode
    return {"error": e}


@pytest.mark.parametrize(
    ("status", "body", "cls"),
    [
        (400, err(190, 463), GraphAuthError),
        (400, err(190, 460), GraphAuthError),
        (400, err(190), GraphAuthError),
        (403, err(10), GraphAuthError),
        (403, err(200), GraphAuthError),
        (400, err(102), GraphAuthError),
        (400, err(100, 33), GraphPermanentError),
        (400, err(2635), GraphPermanentError),
        (500, err(1), GraphRetryableError),
        (503, err(2), GraphRetryableError),
        (400, err(999, is_transient=True), GraphRetryableError),
        (400, err(4), GraphThrottledError),
        (400, err(17, 2446079), GraphThrottledError),
        (400, err(32), GraphThrottledError),
        (400, err(613), GraphThrottledError),
        (400, err(80004), GraphThrottledError),
        (400, err(80005), GraphThrottledError),
        (400, err(368), GraphThrottledError),
        (502, None, GraphRetryableError),
        (404, "<html>", GraphPermanentError),
    ],
)
def test_codes_map_to_the_action_meta_documents(status, body, cls):
    error = error_from_response(status, body, {})
    assert type(error) is cls
    assert error.retryable is issubclass(cls, GraphRetryableError)


def test_throttle_wait_comes_from_the_business_usage_header():
    headers = {
        "X-Business-Use-Case-Usage": json.dumps(
            {"111": [{"type": "leadgen", "call_count": 100, "estimated_time_to_regain_access": 7}]}
        )
    }
    error = error_from_response(400, err(80005), headers)
    assert isinstance(error, GraphThrottledError)
    assert error.retry_after == 420


def test_throttle_without_advice_waits_a_default_and_policy_blocks_wait_long():
    assert error_from_response(400, err(17), {}).retry_after == 60  # type: ignore[attr-defined]
    assert error_from_response(400, err(368), {}).retry_after == 3600  # type: ignore[attr-defined]


def test_describe_carries_codes_and_trace_and_truncates_the_message():
    error = error_from_response(
        400, {"error": {"message": "x" * 1000, "code": 100, "error_subcode": 33, "fbtrace_id": "T1"}}, {}
    )
    text = error.describe()
    assert "code=100" in text and "subcode=33" in text and "fbtrace_id=T1" in text
    assert len(text) < 400


def test_usage_header_parsing_tolerates_garbage():
    usage = GraphUsage.from_headers(
        {
            "x-app-usage": "not json",
            "X-Ad-Account-Usage": json.dumps({"acc_id_util_pct": 9.5, "reset_time_duration": 100}),
            "x-business-use-case-usage": json.dumps(
                {"1": [{"type": "leadgen", "call_count": "80", "total_time": 10}], "2": "bad"}
            ),
        }
    )
    assert usage.app_pct == 0
    assert usage.ad_account_pct == 9.5
    assert usage.max_pct("leadgen") == 80
    assert usage.for_object("1", "leadgen")[0].total_time == 10
    assert usage.regain_seconds() == 0
