"""LeadFetchFunction on moto + the Graph simulator: the webhook paths and the retry consumer."""

from __future__ import annotations

import json

import pytest

from .conftest import (
    FORM_ID,
    PAGE_ID,
    VERIFY_TOKEN,
    Env,
    FakeContext,
    answers,
    api_event,
    sign,
    sqs_event,
    webhook_body,
)


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
    # When Meta notifies both in one POST (base64 body, as API Gateway may pass it)
    answer = post(fn, webhook_body(first, second), base64_body=True)
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
    from .conftest import reset_caches

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
