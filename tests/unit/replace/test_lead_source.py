"""StoredLeadRows: FETCHED leads of the routed forms (and age) from a paginated scan, resumable by cursor."""

from __future__ import annotations

import hashlib
import itertools
import json
from typing import Any

import pytest

from leadloop.replace.errors import InvalidReplaceInput
from leadloop.replace.sources import StoredLeadRows
from leadloop.routing import FormRoute
from leadloop.rows.policy import LEAD_SCHEMA

TABLE = "leads"
AUDIENCE = "238000000000001"
FORM_A = "205000000000001"
FORM_B = "205000000000002"
OTHER_FORM = "205000000000009"
PAGE = "104000000000001"


@pytest.fixture
def leads(ddb: Any) -> Any:
    ddb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "leadgen_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "leadgen_id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return ddb


def route(form_id: str, **extra: Any) -> FormRoute:
    return FormRoute.model_validate({"form_id": form_id, "page_id": PAGE, "audience_ids": [AUDIENCE], **extra})


def put_lead(ddb: Any, n: int, *, form_id: str = FORM_A, status: str = "FETCHED", created: int = 1_700_000_000) -> None:
    ddb.put_item(
        TableName=TABLE,
        Item={
            "leadgen_id": {"S": str(10**17 + n)},
            "status": {"S": status},
            "form_id": {"S": form_id},
            "created_time": {"N": str(created)},
            "field_data": {
                "L": [{"M": {"name": {"S": "email"}, "values": {"L": [{"S": f" Person.{n}@Example.com"}]}}}]
            },
        },
    )


def email_of(n: int) -> str:
    return hashlib.sha256(f"person.{n}@example.com".encode()).hexdigest()


def emails(source: StoredLeadRows, limit: int | None = None) -> list[str]:
    index = source.schema.index("EMAIL")
    return [row.cells[index] for row in itertools.islice(source.rows(), limit)]


def lead_source(ddb: Any, routes: list[FormRoute], **kwargs: Any) -> StoredLeadRows:
    return StoredLeadRows(ddb, TABLE, routes, audience_id=AUDIENCE, since=kwargs.pop("since", None), **kwargs)


def test_only_fetched_leads_of_routed_forms(leads: Any) -> None:
    put_lead(leads, 1)
    put_lead(leads, 2, form_id=FORM_B)
    put_lead(leads, 3, status="RECEIVED")
    put_lead(leads, 4, status="FAILED")
    put_lead(leads, 5, form_id=OTHER_FORM)
    src = lead_source(leads, [route(FORM_A), route(FORM_B)])
    assert src.schema == list(LEAD_SCHEMA)
    assert sorted(emails(src)) == sorted([email_of(1), email_of(2)])
    assert src.cursor()["done"] is True


def test_forms_not_routed_are_skipped(leads: Any) -> None:
    put_lead(leads, 1)
    put_lead(leads, 2, form_id=FORM_B)
    assert emails(lead_source(leads, [route(FORM_B)])) == [email_of(2)]


def test_since_keeps_leads_created_at_or_after_it(leads: Any) -> None:
    put_lead(leads, 1, created=999)
    put_lead(leads, 2, created=1000)
    put_lead(leads, 3, created=1001)
    assert sorted(emails(lead_source(leads, [route(FORM_A)], since=1000))) == sorted([email_of(2), email_of(3)])
    assert len(emails(lead_source(leads, [route(FORM_A)]))) == 3


def test_rows_follow_the_route_hashing(leads: Any) -> None:
    put_lead(leads, 1)
    src = lead_source(leads, [route(FORM_A, schema=["EXTERN_ID", "EMAIL"])])
    assert src.schema == ["EXTERN_ID", "EMAIL"]
    assert [row.cells for row in src.rows()] == [["", email_of(1)]]


def test_routes_with_different_schemas_are_refused(leads: Any) -> None:
    with pytest.raises(InvalidReplaceInput, match=AUDIENCE):
        lead_source(leads, [route(FORM_A), route(FORM_B, schema=["EMAIL"])])
    with pytest.raises(InvalidReplaceInput):
        lead_source(leads, [route(FORM_A), route(FORM_B, ldu=True)])


def test_no_routes_is_refused(leads: Any) -> None:
    with pytest.raises(InvalidReplaceInput, match="no routed form"):
        lead_source(leads, [])


def _mixed_table(ddb: Any) -> set[str]:
    wanted: set[str] = set()
    for n in range(40):
        if n % 4 == 1:
            put_lead(ddb, n, status="RECEIVED")
        elif n % 4 == 3:
            put_lead(ddb, n, form_id=OTHER_FORM)
        else:
            put_lead(ddb, n, form_id=FORM_A if n % 8 == 0 else FORM_B)
            wanted.add(email_of(n))
    return wanted


def test_resuming_from_any_cursor_yields_each_lead_once(leads: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(StoredLeadRows, "PAGE", 3)
    wanted = _mixed_table(leads)
    routes = [route(FORM_A), route(FORM_B)]
    full = emails(lead_source(leads, routes))
    assert sorted(full) == sorted(wanted) and len(full) == 20
    for taken in range(len(full) + 1):
        first = lead_source(leads, routes)
        head = emails(first, taken)
        cursor = json.loads(json.dumps(first.cursor()))  # the cursor travels in the state document
        assert head + emails(lead_source(leads, routes, cursor=cursor)) == full, f"resumed after {taken} leads"


def test_one_lead_per_invocation_until_done(leads: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(StoredLeadRows, "PAGE", 4)
    wanted = _mixed_table(leads)
    routes = [route(FORM_A), route(FORM_B)]
    got: list[str] = []
    cursor: dict[str, Any] | None = None
    for _ in range(200):
        src = lead_source(leads, routes, cursor=cursor)
        got += emails(src, 1)
        cursor = src.cursor()
        if cursor["done"]:
            break
    assert len(got) == len(wanted) and set(got) == wanted
    assert cursor is not None and cursor["done"] is True
    assert emails(lead_source(leads, routes, cursor=cursor)) == []


@pytest.mark.parametrize("change", ["forgotten", "deleted", "aged_out"])
def test_a_lead_leaving_the_set_between_invocations_costs_no_other_lead(
    leads: Any, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """Between two stage invocations a lead already read may be forgotten, expire, or (the since bound is
    recomputed each invocation) age out; the leads not yet read must all still come."""
    monkeypatch.setattr(StoredLeadRows, "PAGE", 50)
    for n in range(12):
        put_lead(leads, n, created=1000 + n)
    routes = [route(FORM_A)]
    order = emails(lead_source(leads, routes, since=1000))
    first = lead_source(leads, routes, since=1000)
    head = emails(first, 6)
    gone = order.index(head[2])
    n = next(n for n in range(12) if email_of(n) == head[2])
    key = {"leadgen_id": {"S": str(10**17 + n)}}
    if change == "forgotten":
        leads.update_item(
            TableName=TABLE,
            Key=key,
            UpdateExpression="SET #s = :f REMOVE field_data",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":f": {"S": "FORGOTTEN"}},
        )
    elif change == "deleted":
        leads.delete_item(TableName=TABLE, Key=key)
    else:
        leads.update_item(
            TableName=TABLE,
            Key=key,
            UpdateExpression="SET created_time = :old",
            ExpressionAttributeValues={":old": {"N": "1"}},
        )
    rest = emails(lead_source(leads, routes, since=1000, cursor=first.cursor()))
    assert gone < 6
    assert head + rest == order


def test_a_cursor_holding_a_page_position_still_resumes(leads: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Executions in flight when the cursor changed to resume keys hold ``skip`` positions."""
    monkeypatch.setattr(StoredLeadRows, "PAGE", 50)
    for n in range(8):
        put_lead(leads, n)
    routes = [route(FORM_A)]
    order = emails(lead_source(leads, routes))
    rest = emails(lead_source(leads, routes, cursor={"start_key": None, "skip": 3, "done": False}))
    assert rest == order[3:]


def test_cursor_names_the_last_lead_read(leads: Any) -> None:
    put_lead(leads, 1)
    put_lead(leads, 2)
    src = lead_source(leads, [route(FORM_A)])
    assert emails(src, 1)
    cursor = src.cursor()
    assert cursor["start_key"] in ({"leadgen_id": {"S": str(10**17 + n)}} for n in (1, 2))
    assert cursor["skip"] == 0 and cursor["done"] is False


def test_more_forms_than_dynamodb_in_allows_are_filtered_here(leads: Any) -> None:
    many = [route(f"20600000000{n:04d}") for n in range(150)]
    put_lead(leads, 1, form_id=many[0].form_id)
    put_lead(leads, 2, form_id=many[149].form_id)
    put_lead(leads, 3, form_id=OTHER_FORM)
    src = lead_source(leads, many)
    assert sorted(emails(src)) == sorted([email_of(1), email_of(2)])
