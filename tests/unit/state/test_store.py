"""StateStore on moto DynamoDB: the backfill's watermarks, lead-read counters and backoffs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leadloop.state.errors import StateError
from leadloop.state.store import StateStore
from tests.unit.state_table import moto_state_table

TABLE = "state"
NOW = 1_700_000_000
DAY = 86400


@pytest.fixture
def ddb() -> Iterator[Any]:
    with moto_state_table(TABLE) as client:
        yield client


@pytest.fixture
def store(ddb: Any) -> StateStore:
    return StateStore(ddb, TABLE)


def stored(ddb: Any, pk: str, sk: str) -> dict[str, Any]:
    return dict(ddb.get_item(TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}})["Item"])


def test_a_form_never_read_has_no_watermark(store: StateStore):
    assert store.watermark("1001") is None


def test_the_watermark_moves_forward(store: StateStore):
    # Given a watermark
    store.advance_watermark("1001", NOW)
    # When a later run advances it
    store.advance_watermark("1001", NOW + 60)
    # Then it reads the later value
    assert store.watermark("1001") == NOW + 60


def test_the_watermark_never_moves_back(store: StateStore):
    # Given a watermark
    store.advance_watermark("1001", NOW)
    # When a run that finished late tries an earlier value
    store.advance_watermark("1001", NOW - 60)
    # Then the watermark stays
    assert store.watermark("1001") == NOW


def test_the_watermark_item_keeps_its_shape(store: StateStore, ddb: Any):
    store.advance_watermark("1001", NOW)
    assert stored(ddb, "form#1001", "watermark")["value"] == {"N": str(NOW)}


def test_lead_reads_add_up_within_a_day(store: StateStore):
    # Given reads counted twice on one day
    store.add_leadgen_calls("111", NOW, 3)
    total = store.add_leadgen_calls("111", NOW + 60, 2)
    # Then the second call returns the day's total
    assert total == 5


def test_lead_reads_are_counted_per_utc_day(store: StateStore):
    # Given reads counted yesterday
    store.add_leadgen_calls("111", NOW, 3)
    # When today's count is read, Then it starts at zero
    assert store.leadgen_calls("111", NOW + DAY) == 0


def test_a_day_counter_expires_after_two_days(store: StateStore, ddb: Any):
    store.add_leadgen_calls("111", NOW, 1)
    assert stored(ddb, "page#111", "leadgen-calls#2023-11-14")["expires_at"] == {"N": str(NOW + 2 * DAY)}


def test_a_page_without_backoff_may_be_read_now(store: StateStore):
    assert store.backoff_until("111") == 0


def test_a_backoff_reads_back(store: StateStore):
    store.set_backoff("111", NOW + 600, "leadgen usage near Meta's limit")
    assert store.backoff_until("111") == NOW + 600


def test_a_backoff_item_keeps_its_shape(store: StateStore, ddb: Any):
    # Given a backoff with a long reason
    store.set_backoff("111", NOW + 600, "x" * 400)
    # When the item is read raw, Then the reason is cut to 300 characters and the item expires a day later
    assert stored(ddb, "page#111", "backoff") == {
        "pk": {"S": "page#111"},
        "sk": {"S": "backoff"},
        "until": {"N": str(NOW + 600)},
        "reason": {"S": "x" * 300},
        "expires_at": {"N": str(NOW + 600 + DAY)},
    }


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.watermark("1001"), "reading state failed: ResourceNotFoundException"),
        (lambda s: s.advance_watermark("1001", NOW), "advancing a watermark failed: ResourceNotFoundException"),
        (lambda s: s.add_leadgen_calls("111", NOW, 1), "counting lead reads failed: ResourceNotFoundException"),
        (lambda s: s.set_backoff("111", NOW, "throttled"), "recording a backoff failed: ResourceNotFoundException"),
    ],
)
def test_a_missing_table_is_a_state_error(ddb: Any, call: Any, message: str):
    # Given a table that does not exist, When the store is used, Then StateError says what failed
    with pytest.raises(StateError, match=message):
        call(StateStore(ddb, "no-such-table"))
