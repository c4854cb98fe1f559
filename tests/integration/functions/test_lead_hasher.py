"""LeadHasherFunction on moto: stream records from real LeadsTable writes become hashed rows."""

from __future__ import annotations

import hashlib
import json

from leadloop.rows.messages import AudienceRowsMessage
from tests.support.context import FakeContext
from tests.support.events import api_event, sign, stream_event, webhook_body
from tests.support.moto_stack import AUDIENCE_ID, FORM_ID, PAGE_ID, Env


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


ANSWERS = [
    {"name": "email", "values": ["  Mary.Major@Example.COM "]},
    {"name": "full_name", "values": ["Mary Ann Major"]},
    {"name": "phone_number", "values": ["(555) 987-6543"]},
    {"name": "city", "values": ["Menlo Park"]},
    {"name": "date_of_birth", "values": ["1987-04-09"]},
]
RAW_VALUES = [
    "Mary.Major@Example.COM",
    "mary.major@example.com",
    "Mary Ann Major",
    "(555) 987-6543",
    "5559876543",
    "Menlo Park",
]


def capture(env: Env, answers=ANSWERS) -> str:
    lead_id = env.sim.create_lead(PAGE_ID, FORM_ID, answers)
    fetch = env.use_function("LeadFetchFunction")
    body = webhook_body(lead_id)
    assert (
        fetch.handler(api_event("POST", body=body, headers={"X-Hub-Signature-256": sign(body)}), FakeContext())[
            "statusCode"
        ]
        == 200
    )
    return lead_id


def audience_messages(env: Env) -> list[AudienceRowsMessage]:
    return [AudienceRowsMessage.from_body(m["Body"]) for m in env.messages("AudienceQueue", wait_delayed=0)]


def test_a_fetched_lead_becomes_one_hashed_add_row_per_audience(env: Env):
    lead_id = capture(env)
    hasher = env.use_function("LeadHasherFunction")
    answer = hasher.handler(stream_event(env), FakeContext())
    assert answer == {"batchItemFailures": []}
    [message] = audience_messages(env)
    assert (message.audience_id, message.op, message.lead_ids) == (AUDIENCE_ID, "add", [lead_id])
    row = dict(zip(message.schema_keys, message.rows[0], strict=True))
    # Independent computation of Meta's normalized forms
    assert row["EMAIL"] == sha("mary.major@example.com")
    assert row["FN"] == sha("mary") and row["LN"] == sha("major")
    assert row["CT"] == sha("menlopark")
    assert (row["DOBY"], row["DOBM"], row["DOBD"]) == (sha("1987"), sha("04"), sha("09"))
    assert row["ZIP"] == "" and row["GEN"] == ""
    assert row["PHONE"] in {sha("15559876543"), ""}
    body = env.messages("AudienceQueue", wait_delayed=0)[0]["Body"]
    # neither the body nor its unpacked rows hold a raw answer
    text = body + json.dumps(AudienceRowsMessage.from_body(body).rows)
    assert not [v for v in RAW_VALUES if v.lower() in text.lower()]


def test_stubs_counters_and_redelivered_notifications_send_nothing_more(env: Env):
    lead_id = capture(env)
    # a redelivered notification updates counters on the FETCHED lead
    fetch = env.use_function("LeadFetchFunction")
    body = webhook_body(lead_id)
    fetch.handler(api_event("POST", body=body, headers={"X-Hub-Signature-256": sign(body)}), FakeContext())
    event = stream_event(env)
    # stub written, lead fetched, counters bumped by the redelivery: several records, one lead
    assert len(event["Records"]) >= 3
    env.use_function("LeadHasherFunction").handler(event, FakeContext())
    assert len(audience_messages(env)) == 1


def test_a_user_delete_removes_and_a_ttl_expiry_does_not(env: Env):
    lead_id = capture(env)
    env.client("dynamodb").delete_item(TableName=env.resource("LeadsTable"), Key={"leadgen_id": {"S": lead_id}})
    event = stream_event(env)
    remove = next(r for r in event["Records"] if r["eventName"] == "REMOVE")
    ttl_remove = json.loads(json.dumps(remove)) | {
        "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    }
    ttl_remove["dynamodb"] = dict(remove["dynamodb"], SequenceNumber="9" + remove["dynamodb"]["SequenceNumber"])
    hasher = env.use_function("LeadHasherFunction")
    hasher.handler({"Records": [remove, ttl_remove]}, FakeContext())
    [message] = audience_messages(env)
    assert message.op == "remove" and message.lead_ids == [lead_id]
    assert message.rows[0][message.schema_keys.index("EMAIL")] == sha("mary.major@example.com")


def test_an_unrouted_form_sends_nothing_and_succeeds(env: Env):
    lead_id = env.sim.create_lead(PAGE_ID, FORM_ID, ANSWERS)
    capture(env)
    env.client("ssm").put_parameter(
        Name=env.resource("RoutingParameter"), Value=json.dumps({"version": 1, "forms": []}), Overwrite=True
    )
    from tests.support.moto_stack import reset_caches

    reset_caches()
    answer = env.use_function("LeadHasherFunction").handler(stream_event(env), FakeContext())
    assert answer == {"batchItemFailures": []}
    assert audience_messages(env) == []
    assert lead_id


def test_a_queue_failure_reports_the_record_for_retry(env: Env):
    capture(env)
    hasher = env.use_function("LeadHasherFunction")
    env.client("sqs").delete_queue(QueueUrl=env.resource("AudienceQueue"))
    event = stream_event(env)
    answer = hasher.handler(event, FakeContext())
    fetched = [r for r in event["Records"] if r["dynamodb"].get("NewImage", {}).get("status", {}).get("S") == "FETCHED"]
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == [
        r["dynamodb"]["SequenceNumber"] for r in fetched
    ]


def test_a_lead_without_any_identifier_sends_nothing(env: Env):
    capture(env, answers=[{"name": "favourite_colour", "values": ["blue"]}])
    env.use_function("LeadHasherFunction").handler(stream_event(env), FakeContext())
    assert audience_messages(env) == []


def test_a_forgotten_lead_sends_removes_and_never_comes_back(env: Env):
    from leadloop.leads.store import LeadStore

    lead_id = capture(env)
    store = LeadStore(env.client("dynamodb"), env.resource("LeadsTable"), retention_days=30)
    store.forget(lead_id, now=1_800_000_000)
    # Then the tombstone holds no answers
    tomb = env.lead(lead_id)
    assert tomb["status"] == "FORGOTTEN" and "field_data" not in tomb
    # And the hasher turns the forgetting into a remove row from the old image
    env.use_function("LeadHasherFunction").handler(stream_event(env), FakeContext())
    ops = [(m.op, lead) for m in audience_messages(env) for lead in m.lead_ids]
    assert ("remove", lead_id) in ops
    # And neither a redelivered webhook nor a backfill brings the answers back
    fetch = env.use_function("LeadFetchFunction")
    body = webhook_body(lead_id)
    assert (
        fetch.handler(api_event("POST", body=body, headers={"X-Hub-Signature-256": sign(body)}), FakeContext())[
            "statusCode"
        ]
        == 200
    )
    env.use_function("BackfillFunction").handler(
        {"form_ids": [FORM_ID], "since": "2026-01-01T00:00:00Z"}, FakeContext(300)
    )
    assert env.lead(lead_id)["status"] == "FORGOTTEN" and "field_data" not in env.lead(lead_id)
