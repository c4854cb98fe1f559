"""LeadFetchFunction on moto + the Graph simulator: the webhook paths and the retry consumer."""

from __future__ import annotations

import json
import time

import pytest

from tests.support.context import FakeContext
from tests.support.events import api_event, sign, sqs_event, webhook_body
from tests.support.moto_stack import FORM_ID, PAGE_ID, VERIFY_TOKEN, Env, answers


@pytest.fixture
def fn(env: Env):
    return env.use_function("LeadFetchFunction")


def post(fn, body: bytes, *, signature: str | None = "auto", base64_body: bool = False) -> dict:
    headers = {"Content-Type": "application/json"}
    if signature == "auto":
        signature = sign(body)
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return fn.handler(api_event("POST", body=body, headers=headers, base64_body=base64_body), FakeContext())


def new_lead(env: Env, n: int) -> str:
    return env.sim.create_lead(PAGE_ID, FORM_ID, answers(n))


def test_verification_echoes_the_challenge_only_for_our_token(fn):
    ok = fn.handler(
        api_event(
            "GET", query={"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": VERIFY_TOKEN}
        ),
        FakeContext(),
    )
    assert (ok["statusCode"], ok["body"]) == (200, "1158201444")
    content_type = (ok.get("headers") or {}).get("Content-Type") or ok["multiValueHeaders"]["Content-Type"][0]
    assert content_type.startswith("text/plain")
    bad = fn.handler(
        api_event("GET", query={"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": "guess"}),
        FakeContext(),
    )
    assert bad["statusCode"] == 403


def test_a_post_with_two_changes_stores_both_leads_with_their_answers(env: Env, fn):
    # Given two leads Meta holds (ids above 2**53)
    first, second = new_lead(env, 1), new_lead(env, 2)
    assert int(first) > 2**53
    # When Meta notifies both in one POST
    answer = post(fn, webhook_body(first, second))
    # Then both are stored, fetched, with exact ids and answers
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["received"] == 2
    for n, lead_id in ((1, first), (2, second)):
        item = env.lead(lead_id)
        assert item is not None and item["status"] == "FETCHED"
        assert item["leadgen_id"] == lead_id
        assert item["field_data"] == answers(n)
        assert (item["form_id"], item["page_id"], item["source"]) == (FORM_ID, PAGE_ID, "webhook")
        assert item["expires_at"] > item["created_time"]
    # And one batch call fetched both
    batch_calls = [c for c in env.sim.calls() if c["method"] == "POST" and c.get("batch_size")]
    assert [c["batch_size"] for c in batch_calls] == [2]


def test_a_redelivered_notification_is_stored_once_and_not_fetched_again(env: Env, fn):
    lead_id = new_lead(env, 3)
    body = webhook_body(lead_id)
    assert post(fn, body)["statusCode"] == 200
    assert post(fn, body)["statusCode"] == 200
    item = env.lead(lead_id)
    assert item["notifications"] == 2 and item["fetch_attempts"] == 1
    assert len([c for c in env.sim.calls() if c.get("batch_size")]) == 1


def test_a_base64_body_is_read_too(env: Env, fn):
    # API Gateway passes base64 only for a binary media type; none is listed, but the function copes.
    lead_id = new_lead(env, 7)
    assert post(fn, webhook_body(lead_id), base64_body=True)["statusCode"] == 200
    assert env.lead(lead_id)["status"] == "FETCHED"


def lower_case_post(fn, body: bytes, signature: str) -> dict:
    """A POST whose header names arrive in lower case (HTTP/2 clients send them so; API Gateway keeps them)."""
    headers = {"content-type": "application/json", "x-hub-signature-256": signature}
    return fn.handler(api_event("POST", body=body, headers=headers), FakeContext())


def test_a_lower_case_signature_header_is_verified(env: Env, fn):
    lead_id = new_lead(env, 8)
    body = webhook_body(lead_id)
    assert lower_case_post(fn, body, sign(body))["statusCode"] == 200
    assert env.lead(lead_id)["status"] == "FETCHED"


def test_a_wrong_lower_case_signature_is_refused(env: Env, fn):
    lead_id = new_lead(env, 9)
    assert lower_case_post(fn, webhook_body(lead_id), "sha256=" + "0" * 64)["statusCode"] == 401
    assert env.lead(lead_id) is None


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "sha1=abc"])
def test_unsigned_or_missigned_posts_are_refused_and_nothing_is_stored(env: Env, fn, signature):
    lead_id = new_lead(env, 4)
    answer = post(fn, webhook_body(lead_id), signature=signature)
    assert answer["statusCode"] == 401
    assert env.lead(lead_id) is None
    assert env.sim.calls() == []


def test_signed_but_malformed_bodies_get_400_and_other_fields_200(env: Env, fn):
    assert post(fn, b"{not json")["statusCode"] == 400
    assert post(fn, json.dumps({"object": "page"}).encode())["statusCode"] == 400
    feed = json.dumps(
        {"object": "page", "entry": [{"id": PAGE_ID, "changes": [{"field": "feed", "value": {}}]}]}
    ).encode()
    answer = post(fn, feed)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["ignored"] == 1


def test_an_oversized_body_is_refused_with_413(env: Env):
    fn = env.use_function("LeadFetchFunction", WEBHOOK_MAX_BODY_BYTES="2048")
    assert post(fn, b"x" * 4096)["statusCode"] == 413


def test_a_failed_fetch_is_queued_for_retry_and_the_stub_kept(env: Env, fn):
    lead_id = new_lead(env, 5)
    env.sim.configure()  # defaults
    fault = {"path": rf"/{lead_id}$", "status": 500, "error": {"code": 2, "message": "down", "is_transient": True}}
    _add_fault(env, fault)
    answer = post(fn, webhook_body(lead_id))
    assert answer["statusCode"] == 200
    assert env.lead(lead_id)["status"] == "PENDING"
    [message] = env.messages("FetchRetryQueue")
    body = json.loads(message["Body"])
    assert body["leadgen_id"] == lead_id and body["attempts"] == 1 and "code=2" in body["reason"]
    assert env.messages("FetchRetryDLQ") == []


def test_a_lead_meta_will_never_return_is_parked_with_its_reason(env: Env, fn):
    missing = "99999999999999999"
    assert post(fn, webhook_body(missing))["statusCode"] == 200
    [parked] = env.messages("FetchRetryDLQ")
    assert json.loads(parked["Body"])["leadgen_id"] == missing
    assert "code=100" in parked["MessageAttributes"]["reason"]["StringValue"]
    assert env.lead(missing)["status"] == "FAILED"


def test_token_failures_keep_the_lead_queued_not_parked(env: Env, fn):
    lead_id = new_lead(env, 6)
    _add_fault(
        env,
        {"path": rf"/{lead_id}$", "status": 400, "error": {"code": 190, "error_subcode": 463, "message": "expired"}},
    )
    assert post(fn, webhook_body(lead_id))["statusCode"] == 200
    # Queued with a long delay (a person must fix the token first), never parked
    attrs = env.client("sqs").get_queue_attributes(
        QueueUrl=env.resource("FetchRetryQueue"), AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1"
    assert env.messages("FetchRetryDLQ") == []
    assert "code=190" in env.lead(lead_id)["last_error"]


def test_when_the_budget_is_spent_every_lead_goes_to_the_retry_queue(env: Env):
    fn = env.use_function("LeadFetchFunction", WEBHOOK_RESPONSE_BUDGET_SECONDS="0.01")
    ids = [new_lead(env, n) for n in (7, 8)]
    assert post(fn, webhook_body(*ids))["statusCode"] == 200
    queued = sorted(json.loads(m["Body"])["leadgen_id"] for m in env.messages("FetchRetryQueue"))
    assert queued == sorted(ids)
    assert all(env.lead(i)["status"] == "PENDING" for i in ids)


def test_storage_failure_answers_500_so_meta_retries(env: Env, fn):
    env.client("dynamodb").delete_table(TableName=env.resource("LeadsTable"))
    answer = post(fn, webhook_body(new_lead(env, 9)))
    assert answer["statusCode"] == 500
    assert "lead" not in answer["body"].lower() or "unable" in answer["body"]


def test_a_secret_left_with_placeholders_answers_500_not_401(env: Env, fn):
    env.client("secretsmanager").put_secret_value(
        SecretId=env.resource("MetaSecret"),
        SecretString=json.dumps({"app_secret": "REPLACE_ME", "verify_token": "x", "access_token": "REPLACE_ME"}),
    )
    from tests.support.moto_stack import reset_caches

    reset_caches()
    assert post(fn, webhook_body(new_lead(env, 10)))["statusCode"] == 500


# ---------------------------------------------------------------------- retry consumer
def test_retry_consumer_stores_the_lead_and_acknowledges(env: Env, fn):
    lead_id = new_lead(env, 11)
    _add_fault(env, {"path": rf"/{lead_id}$", "status": 500, "error": {"code": 2, "is_transient": True}, "times": 1})
    post(fn, webhook_body(lead_id))
    messages = env.messages("FetchRetryQueue")
    answer = fn.handler(sqs_event(env, messages), FakeContext())
    assert answer == {"batchItemFailures": []}
    assert env.lead(lead_id)["status"] == "FETCHED"


def test_retry_consumer_reports_only_the_failed_message_and_backs_off(env: Env, fn):
    good, bad = new_lead(env, 12), new_lead(env, 13)
    _add_fault(
        env, {"path": rf"/({good}|{bad})$", "status": 500, "error": {"code": 2, "is_transient": True}, "times": 2}
    )
    post(fn, webhook_body(good, bad))
    _add_fault(env, {"path": rf"/{bad}$", "status": 500, "error": {"code": 2, "is_transient": True}})
    messages = env.messages("FetchRetryQueue")
    assert len(messages) == 2
    answer = fn.handler(sqs_event(env, messages), FakeContext())
    failed_ids = {f["itemIdentifier"] for f in answer["batchItemFailures"]}
    bad_message = next(m for m in messages if json.loads(m["Body"])["leadgen_id"] == bad)
    assert failed_ids == {bad_message["MessageId"]}
    assert env.lead(good)["status"] == "FETCHED"
    assert env.lead(bad)["status"] == "PENDING" and env.lead(bad)["fetch_attempts"] >= 2


def test_retry_consumer_parks_after_the_last_attempt(env: Env):
    fn = env.use_function("LeadFetchFunction", MAX_FETCH_ATTEMPTS="2")
    lead_id = new_lead(env, 14)
    _add_fault(env, {"path": rf"/{lead_id}$", "status": 500, "error": {"code": 2, "is_transient": True}})
    post(fn, webhook_body(lead_id))
    answer = fn.handler(sqs_event(env, env.messages("FetchRetryQueue")), FakeContext())
    assert answer == {"batchItemFailures": []}
    [parked] = env.messages("FetchRetryDLQ")
    assert json.loads(parked["Body"])["attempts"] == 2
    assert env.lead(lead_id)["status"] == "FAILED"


def test_an_unreadable_retry_message_goes_to_the_dlq_verbatim(env: Env, fn):
    message = {"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": '{"leadgen_id": "not digits"}', "Attributes": {}}
    answer = fn.handler(sqs_event(env, [message]), FakeContext())
    assert answer == {"batchItemFailures": []}
    [parked] = env.messages("FetchRetryDLQ")
    assert parked["Body"] == message["Body"]
    assert "unreadable" in parked["MessageAttributes"]["reason"]["StringValue"]


def _add_fault(env: Env, fault: dict) -> None:
    import requests

    response = requests.post(f"{env.sim.base_url}/_sim/faults", json=fault, timeout=5)
    assert response.status_code == 200, response.text


# ---------------------------------------------------------------------- hostile signed bodies
def emitted_metrics(out: str) -> dict[str, float]:
    """Metric name -> summed value from the EMF lines the handler printed."""
    totals: dict[str, float] = {}
    for line in out.splitlines():
        if not line.startswith("{") or '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = document[metric["Name"]]
                totals[metric["Name"]] = totals.get(metric["Name"], 0.0) + sum(
                    value if isinstance(value, list) else [value]
                )
    return totals


def notification_body(*entries: object) -> bytes:
    return json.dumps({"object": "page", "entry": list(entries)}).encode()


def leadgen_change(leadgen_id: object, **value: object) -> dict:
    return {"field": "leadgen", "value": {"leadgen_id": leadgen_id, **value}}


def valid_entry(lead_id: str) -> dict:
    return {"id": PAGE_ID, "changes": [leadgen_change(int(lead_id), page_id=int(PAGE_ID), form_id=int(FORM_ID))]}


DEEP = "[" * 10_000 + "]" * 10_000


def hostile_bodies(valid: str, hostile: str) -> dict[str, bytes]:
    """Signed bodies that carry one valid lead and one change or entry that cannot be recorded."""
    return {
        "nested 10,000 deep": (
            '{"object":"page","entry":['
            + json.dumps(valid_entry(valid))
            + ',{"id":"'
            + PAGE_ID
            + '","changes":[{"field":"leadgen","value":{"leadgen_id":'
            + hostile
            + ',"extra":'
            + DEEP
            + "}},"
            + DEEP
            + "]}]}"
        ).encode(),
        "created_time 10^38": notification_body(
            valid_entry(valid),
            {"id": PAGE_ID, "changes": [leadgen_change(int(hostile), page_id=int(PAGE_ID), created_time=10**38)]},
        ),
        "entry id not a page": notification_body(
            valid_entry(valid), {"id": "not-a-page", "changes": [leadgen_change(int(hostile), form_id=int(FORM_ID))]}
        ),
        "entry id of 41 digits": notification_body(
            valid_entry(valid), {"id": int("9" * 41), "changes": [leadgen_change(int(hostile), form_id=int(FORM_ID))]}
        ),
    }


HOSTILE_CASES = list(hostile_bodies("1", "2"))


@pytest.mark.parametrize("case", HOSTILE_CASES)
def test_a_hostile_change_never_strands_the_valid_lead_beside_it(env: Env, case, capsys):
    # A budget no parse of a hostile body can use up, even on a loaded machine: the lead is read now.
    fn = env.use_function("LeadFetchFunction", WEBHOOK_RESPONSE_BUDGET_SECONDS="20")
    valid, hostile = new_lead(env, 21), new_lead(env, 22)
    answer = post(fn, hostile_bodies(valid, hostile)[case])
    # 200: the body is a notification; its valid lead is recorded, the hostile change skipped and counted
    assert answer["statusCode"] == 200, answer["body"]
    assert env.lead(valid)["status"] == "FETCHED"
    assert json.loads(answer["body"])["malformed"] == 1
    if case == "nested 10,000 deep":
        assert env.lead(hostile)["status"] == "FETCHED"  # its deep extra is never read
    else:
        assert env.lead(hostile) is None
    assert emitted_metrics(capsys.readouterr().out)["WebhookChangeMalformed"] == 1


@pytest.mark.parametrize("case", HOSTILE_CASES)
def test_a_hostile_change_never_blocks_the_retry_of_the_valid_lead(env: Env, fn, case):
    valid, hostile = new_lead(env, 23), new_lead(env, 24)
    _add_fault(env, {"path": r"/[0-9]+$", "status": 500, "error": {"code": 2, "is_transient": True}})
    answer = post(fn, hostile_bodies(valid, hostile)[case])
    assert answer["statusCode"] == 200, answer["body"]
    assert env.lead(valid)["status"] == "PENDING"
    queued = sorted(json.loads(m["Body"])["leadgen_id"] for m in env.messages("FetchRetryQueue"))
    assert queued == sorted([valid, hostile] if case == "nested 10,000 deep" else [valid])
    assert env.messages("FetchRetryDLQ") == []


def test_one_malformed_change_beside_a_valid_one_answers_200_and_is_counted_by_position(env: Env, fn, capsys, caplog):
    valid = new_lead(env, 25)
    secret_looking = "person25@example.com"
    body = notification_body(
        {"id": PAGE_ID, "changes": [{"field": "feed"}, leadgen_change(secret_looking, page_id=int(PAGE_ID))]},
        valid_entry(valid),
    )
    answer = post(fn, body)
    # Meta would retry a 4xx for 36 hours and it could never succeed: 200, the valid lead stored
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) | {"stored": 1} == {"received": 1, "stored": 1, "ignored": 1, "malformed": 1}
    assert env.lead(valid)["status"] == "FETCHED"
    out = capsys.readouterr().out
    assert emitted_metrics(out)["WebhookChangeMalformed"] == 1
    assert "WebhookMalformed" not in emitted_metrics(out)
    [record] = [r for r in caplog.records if "malformed" in r.getMessage()]
    assert (record.levelname, getattr(record, "positions", None)) == ("WARNING", ["entry[0].changes[1]"])
    assert secret_looking not in out + repr([r.__dict__ for r in caplog.records])


def test_a_body_with_only_malformed_changes_still_answers_200(env: Env, fn):
    body = notification_body({"id": PAGE_ID, "changes": [leadgen_change("abc"), 5]}, 7)
    answer = post(fn, body)
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"])["malformed"] == 3


def test_a_body_too_deep_to_be_a_notification_gets_400(env: Env, fn):
    assert post(fn, DEEP.encode())["statusCode"] == 400
    assert post(fn, b'{"object":"page","entry":' + DEEP.encode()[:-1])["statusCode"] == 400


def test_every_answer_tells_browsers_not_to_sniff_its_type(fn):
    challenge = fn.handler(
        api_event(
            "GET", query={"hub.mode": "subscribe", "hub.challenge": "<b>1</b>", "hub.verify_token": VERIFY_TOKEN}
        ),
        FakeContext(),
    )
    assert challenge["statusCode"] == 200
    assert challenge["headers"]["X-Content-Type-Options"] == "nosniff"
    refused = fn.handler(api_event("GET", query={"hub.mode": "subscribe"}), FakeContext())
    assert refused["headers"]["X-Content-Type-Options"] == "nosniff"
    assert post(fn, b"{")["headers"]["X-Content-Type-Options"] == "nosniff"


def test_retry_successes_count_only_the_leads_this_consumer_stored(env: Env, fn, capsys):
    lead_id = new_lead(env, 31)
    _add_fault(env, {"path": rf"/{lead_id}$", "status": 500, "error": {"code": 2, "is_transient": True}, "times": 1})
    post(fn, webhook_body(lead_id))
    [message] = env.messages("FetchRetryQueue")
    # SQS delivers a message twice (at-least-once), both copies in one batch
    twice = [message, message | {"MessageId": "copy-of-" + message["MessageId"]}]
    capsys.readouterr()
    assert fn.handler(sqs_event(env, twice), FakeContext()) == {"batchItemFailures": []}
    assert env.lead(lead_id)["status"] == "FETCHED"
    assert emitted_metrics(capsys.readouterr().out)["LeadFetchRetrySucceeded"] == 1


# ---------------------------------------------------------------------- throttling
def _throttle_fault(env: Env, lead_id: str, *, regain_minutes: int = 30) -> None:
    usage = {PAGE_ID: [{"type": "leadgen", "call_count": 100, "estimated_time_to_regain_access": regain_minutes}]}
    _add_fault(
        env,
        {
            "path": rf"/{lead_id}$",
            "status": 400,
            "error": {"code": 80005, "message": "There have been too many leadgen api calls"},
            "headers": {"X-Business-Use-Case-Usage": json.dumps(usage)},
        },
    )


def _retry_message(lead_id: str, **fields: object) -> dict:
    body = {"leadgen_id": lead_id, "page_id": PAGE_ID, "form_id": FORM_ID} | fields
    return {"MessageId": f"m-{lead_id}", "ReceiptHandle": "r-1", "Body": json.dumps(body), "Attributes": {}}


def _delayed(env: Env) -> int:
    attrs = env.client("sqs").get_queue_attributes(
        QueueUrl=env.resource("FetchRetryQueue"), AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessagesDelayed"])


def test_a_throttled_webhook_read_waits_without_spending_an_attempt(env: Env, fn):
    lead_id = new_lead(env, 40)
    _throttle_fault(env, lead_id, regain_minutes=30)
    assert post(fn, webhook_body(lead_id))["statusCode"] == 200
    assert _delayed(env) == 1 and env.messages("FetchRetryDLQ", wait_delayed=0) == []
    item = env.lead(lead_id)
    assert item["status"] == "PENDING" and "code=80005" in item["last_error"]


def test_a_throttled_retry_spends_no_attempt_even_at_the_last_one(env: Env):
    # Two attempts allowed, one spent: before, this throttled read was the second and parked the lead
    fn = env.use_function("LeadFetchFunction", MAX_FETCH_ATTEMPTS="2")
    lead_id = new_lead(env, 41)
    _throttle_fault(env, lead_id, regain_minutes=30)
    answer = fn.handler(sqs_event(env, [_retry_message(lead_id, attempts=1)]), FakeContext())
    assert answer == {"batchItemFailures": []}  # acknowledged: a fresh copy carries the wait
    assert env.messages("FetchRetryDLQ", wait_delayed=0) == []
    assert _delayed(env) == 1
    assert env.lead(lead_id) is None or env.lead(lead_id)["status"] != "FAILED"


def test_a_copy_that_arrives_before_metas_wait_is_over_is_sent_on_unread(env: Env, fn):
    lead_id = new_lead(env, 42)
    not_before = int(time.time()) + 3600
    message = _retry_message(lead_id, attempts=3, throttled=2, not_before=not_before, first_notified_at=1)
    assert fn.handler(sqs_event(env, [message]), FakeContext()) == {"batchItemFailures": []}
    assert env.sim.calls() == []
    assert _delayed(env) == 1 and env.messages("FetchRetryDLQ", wait_delayed=0) == []


def test_a_lead_throttled_past_the_ceiling_is_parked_with_the_reason(env: Env, fn):
    lead_id = new_lead(env, 43)
    _throttle_fault(env, lead_id)
    eight_days_ago = int(time.time()) - 8 * 86400
    message = _retry_message(lead_id, attempts=0, throttled=40, first_notified_at=eight_days_ago)
    assert fn.handler(sqs_event(env, [message]), FakeContext()) == {"batchItemFailures": []}
    [parked] = env.messages("FetchRetryDLQ")
    reason = parked["MessageAttributes"]["reason"]["StringValue"]
    assert "throttled by Meta for 7 days" in reason and "code=80005" in reason
    assert json.loads(parked["Body"])["first_notified_at"] is None  # a replay starts a new wait
    assert _delayed(env) == 0
