"""The pager: index pages of FETCHED keys, BatchGetItem for the items, UnprocessedKeys retried, order kept."""

from __future__ import annotations

import pytest

from leadloop_cli.leadsexport.dates import Window
from leadloop_cli.leadsexport.errors import ExportError
from leadloop_cli.leadsexport.pager import LeadPager

from .fakes import TABLE, FakeLeadsTable, client_error, stored


def pager(table: FakeLeadsTable, sleeps: list[float] | None = None, **kwargs) -> LeadPager:
    record = sleeps if sleeps is not None else []
    return LeadPager(table, TABLE, sleep=record.append, jitter=lambda cap: cap, **kwargs)


def ids(items) -> list[str]:
    return [str(i["leadgen_id"]) for i in items]


def test_leads_come_oldest_first_whatever_order_batch_get_answers_in():
    table = FakeLeadsTable([stored(n, 1000 + (n * 7919) % 250) for n in range(250)])
    expected = [str(i["leadgen_id"]) for i in table.index]
    assert ids(pager(table).leads("205", Window())) == expected


def test_only_fetched_leads_are_asked_for_and_returned():
    items = [stored(1, 10), stored(2, 11, status="PENDING"), stored(3, 12), stored(4, 13, status="FAILED")]
    table = FakeLeadsTable(items)
    assert ids(pager(table).leads("205", Window())) == ["1", "3"]
    asked = [k["leadgen_id"]["S"] for get in table.gets for k in get[TABLE]["Keys"]]
    assert asked == ["1", "3"]
    query = table.queries[0]
    assert query["IndexName"] == "ByFormCreated"
    assert query["FilterExpression"] == "#s = :fetched"
    assert query["ExpressionAttributeValues"][":fetched"] == {"S": "FETCHED"}


def test_a_lead_forgotten_or_deleted_between_query_and_get_is_skipped():
    table = FakeLeadsTable([stored(1, 10), stored(2, 11), stored(3, 12)])
    original = table.batch_get_item

    def forget_then_get(**kwargs):
        table.items["2"] = {"leadgen_id": "2", "status": "FORGOTTEN"}
        del table.items["3"]
        return original(**kwargs)

    table.batch_get_item = forget_then_get  # type: ignore[method-assign,assignment]
    assert ids(pager(table).leads("205", Window())) == ["1"]


def test_the_window_is_a_key_condition_on_created_time():
    table = FakeLeadsTable([stored(1, 10)])
    list(pager(table).leads("205", Window(100, 200)))
    query = table.queries[0]
    assert query["KeyConditionExpression"] == "#f = :f AND #t BETWEEN :since AND :last"
    assert query["ExpressionAttributeNames"] == {"#f": "form_id", "#s": "status", "#t": "created_time"}
    assert query["ExpressionAttributeValues"] == {
        ":f": {"S": "205"},
        ":fetched": {"S": "FETCHED"},
        ":since": {"N": "100"},
        ":last": {"N": "199"},
    }
    list(pager(table).leads("205", Window()))
    assert table.queries[-1]["KeyConditionExpression"] == "#f = :f"
    assert "#t" not in table.queries[-1]["ExpressionAttributeNames"]  # DynamoDB refuses unused names


def test_memory_stays_flat_one_page_is_read_before_the_first_lead_is_handed_out():
    table = FakeLeadsTable([stored(n, n) for n in range(1000)])
    stream = pager(table, page_size=100).leads("205", Window())
    next(stream)
    assert len(table.queries) == 1 and len(table.gets) == 1
    for _ in range(150):
        next(stream)
    assert len(table.queries) == 2 and len(table.gets) == 2
    assert len(list(stream)) == 1000 - 151
    assert all(len(get[TABLE]["Keys"]) <= 100 for get in table.gets)


def test_unprocessed_keys_are_asked_for_again_after_a_growing_backoff():
    table = FakeLeadsTable([stored(n, n) for n in range(100)])
    # the first two answers hold back everything but 10 keys; the third gives the rest
    table.unprocessed = lambda keys, call: keys[10:] if call <= 2 else []
    sleeps: list[float] = []
    leads = pager(table, sleeps, base_delay=0.1).leads("205", Window())
    assert ids(leads) == [str(n) for n in range(100)]
    assert len(table.gets) == 3
    retried = [k["leadgen_id"]["S"] for k in table.gets[1][TABLE]["Keys"]]
    assert retried == [str(n) for n in range(10, 100)]
    assert sleeps == [0.1, 0.1]  # progress each round: the backoff starts over


def test_rounds_that_return_nothing_back_off_longer_and_then_give_up():
    table = FakeLeadsTable([stored(n, n) for n in range(5)])
    table.unprocessed = lambda keys, call: keys
    sleeps: list[float] = []
    with pytest.raises(ExportError, match=r"DynamoDB left 5 key\(s\) unprocessed 4 times in a row") as caught:
        list(pager(table, sleeps, max_retries=3, base_delay=0.1, max_delay=0.3).leads("205", Window()))
    assert sleeps == [0.1, 0.2, 0.3]  # doubling, capped
    assert "example.com" not in str(caught.value)


def test_throttling_is_retried_and_other_errors_fail_with_their_code_only():
    table = FakeLeadsTable([stored(1, 10)])
    table.query_errors = [client_error("ProvisionedThroughputExceededException")]
    table.get_errors = [client_error("ThrottlingException")]
    sleeps: list[float] = []
    assert ids(pager(table, sleeps).leads("205", Window())) == ["1"]
    assert len(sleeps) == 2

    table.get_errors = [client_error("AccessDeniedException")]
    with pytest.raises(ExportError, match=r"^reading leads failed: AccessDeniedException$"):
        list(pager(table).leads("205", Window()))
    table.query_errors = [client_error("ResourceNotFoundException")]
    with pytest.raises(ExportError, match=r"^querying the leads of form 205 failed: ResourceNotFoundException$"):
        list(pager(table).leads("205", Window()))


def test_attributes_limit_what_batch_get_returns():
    table = FakeLeadsTable([stored(1, 10)])
    [item] = pager(table).leads("205", Window(), attributes=["field_data"])
    assert set(item) == {"leadgen_id", "status", "field_data"}
    request = table.gets[0][TABLE]
    assert sorted(request["ExpressionAttributeNames"].values()) == ["field_data", "leadgen_id", "status"]


def test_page_size_is_bounded_by_batch_get():
    with pytest.raises(ValueError, match="page_size"):
        LeadPager(object(), TABLE, page_size=101)
