"""ReplaceRecords on moto DynamoDB: the audience lock, the run item and the outcome items."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from leadloop.state.errors import AudienceLocked, StateError
from leadloop.state.replace_records import OUTCOME_TTL_SECONDS, RUN_TTL_SECONDS, ReplaceRecords
from tests.unit.state_table import create_state_table

TABLE = "state"
AUDIENCE = "238000000000001"
OTHER_AUDIENCE = "238000000000002"
NOW = 1_700_000_000


@pytest.fixture
def ddb() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")


@pytest.fixture
def state(ddb: Any) -> Any:
    create_state_table(ddb, TABLE)
    return ddb


@pytest.fixture
def records(state: Any) -> ReplaceRecords:
    return ReplaceRecords(state, TABLE)


def item(ddb: Any, pk: str, sk: str) -> dict[str, Any] | None:
    found = ddb.get_item(TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": sk}}).get("Item")
    return {k: next(iter(v.values())) for k, v in found.items()} if found else None


def lock_item(ddb: Any) -> dict[str, Any] | None:
    return item(ddb, f"audience#{AUDIENCE}", "lock")


# ---------------------------------------------------------------------- lock
def test_lock_is_taken(state: Any, records: ReplaceRecords) -> None:
    records.take_lock(AUDIENCE, "run-a", until=NOW + 100, now=NOW)
    assert lock_item(state) == {
        "pk": f"audience#{AUDIENCE}",
        "sk": "lock",
        "run_id": "run-a",
        "expires_at": str(NOW + 100),
        "taken_at": str(NOW),
    }


def test_lock_is_reentrant_for_the_same_run(state: Any, records: ReplaceRecords) -> None:
    records.take_lock(AUDIENCE, "run-a", until=NOW + 100, now=NOW)
    records.take_lock(AUDIENCE, "run-a", until=NOW + 500, now=NOW + 10)
    held = lock_item(state)
    assert held is not None and held["run_id"] == "run-a" and held["expires_at"] == str(NOW + 500)


def test_lock_is_refused_to_another_run_until_it_expires(state: Any, records: ReplaceRecords) -> None:
    records.take_lock(AUDIENCE, "run-a", until=NOW + 100, now=NOW)
    for now in (NOW + 1, NOW + 100):
        with pytest.raises(AudienceLocked) as caught:
            records.take_lock(AUDIENCE, "run-b", until=now + 100, now=now)
        assert "run-a" in str(caught.value) and str(NOW + 100) in str(caught.value)
    held = lock_item(state)
    assert held is not None and held["run_id"] == "run-a"
    records.take_lock(AUDIENCE, "run-b", until=NOW + 300, now=NOW + 101)
    held = lock_item(state)
    assert held is not None and held["run_id"] == "run-b" and held["expires_at"] == str(NOW + 300)


def test_locks_of_different_audiences_are_independent(records: ReplaceRecords) -> None:
    # Given run-a holds one audience
    records.take_lock(AUDIENCE, "run-a", until=NOW + 100, now=NOW)
    # When run-b takes another audience
    records.take_lock(OTHER_AUDIENCE, "run-b", until=NOW + 100, now=NOW)
    # Then run-b holds it, and run-a still holds the first
    assert (records.lock(OTHER_AUDIENCE) or {}).get("run_id") == "run-b"
    assert (records.lock(AUDIENCE) or {}).get("run_id") == "run-a"


def test_release_only_by_the_holder(state: Any, records: ReplaceRecords) -> None:
    assert records.release_lock(AUDIENCE, "run-a") is False  # nothing held
    records.take_lock(AUDIENCE, "run-a", until=NOW + 100, now=NOW)
    assert records.release_lock(AUDIENCE, "run-b") is False
    assert lock_item(state) is not None
    assert records.release_lock(AUDIENCE, "run-a") is True
    assert lock_item(state) is None
    assert records.release_lock(AUDIENCE, "run-a") is False


def test_extend_only_by_the_holder(state: Any, records: ReplaceRecords) -> None:
    records.take_lock(AUDIENCE, "run-a", until=NOW + 100, now=NOW)
    records.extend_lock(AUDIENCE, "run-a", until=NOW + 900)
    held = lock_item(state)
    assert held is not None and held["expires_at"] == str(NOW + 900)
    with pytest.raises(AudienceLocked, match="run-b"):
        records.extend_lock(AUDIENCE, "run-b", until=NOW + 999)
    records.release_lock(AUDIENCE, "run-a")
    with pytest.raises(AudienceLocked):
        records.extend_lock(AUDIENCE, "run-a", until=NOW + 999)
    assert lock_item(state) is None  # extending a lost lock does not recreate it


# ---------------------------------------------------------------------- run item
def test_note_run_round_trip(state: Any, records: ReplaceRecords) -> None:
    assert records.run("run-a") == {}
    records.note_run("run-a", {"first_attempt": 77, "opened_at": 1700000000.9, "nested": {"a": [1.5, "x"]}})
    records.note_run("run-a", {"sent_upto": 5, "first_attempt": 0, "flag": True})
    run = records.run("run-a")
    assert run["first_attempt"] == 0 and run["sent_upto"] == 5 and run["opened_at"] == 1700000000
    assert run["nested"] == {"a": [1, "x"]} and run["flag"] is True
    assert run["pk"] == "replace#run-a" and run["sk"] == "run"
    assert abs(int(run["expires_at"]) - (int(time.time()) + RUN_TTL_SECONDS)) < 60
    assert records.run("run-b") == {}


def test_note_run_with_names_dynamodb_reserves(records: ReplaceRecords) -> None:
    records.note_run("run-a", {"status": "sending", "session_id": 5})
    assert records.run("run-a")["status"] == "sending"


# ---------------------------------------------------------------------- outcome
def test_outcome_is_written_under_both_keys(state: Any, records: ReplaceRecords) -> None:
    outcome = {"status": "succeeded", "rows_unique": 12, "times": {"started": NOW}, "error": None}
    records.write_outcome(AUDIENCE, "run-a", NOW, outcome)
    history = item(state, f"audience#{AUDIENCE}", f"replace#{NOW:010d}#run-a")
    latest = records.latest_outcome(AUDIENCE)
    assert history is not None and latest is not None
    assert history["status"] == "succeeded" and history["run_id"] == "run-a" and "error" not in history
    assert latest["status"] == "succeeded" and latest["rows_unique"] == 12 and latest["times"] == {"started": NOW}
    assert latest["sk"] == "replace#latest" and latest["expires_at"] == NOW + OUTCOME_TTL_SECONDS

    records.write_outcome(AUDIENCE, "run-b", NOW + 50, {"status": "failed"})
    latest = records.latest_outcome(AUDIENCE)
    assert latest is not None and latest["run_id"] == "run-b" and latest["status"] == "failed"
    assert item(state, f"audience#{AUDIENCE}", f"replace#{NOW:010d}#run-a") is not None


def test_no_outcome_yet(records: ReplaceRecords) -> None:
    assert records.latest_outcome(AUDIENCE) is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.take_lock(AUDIENCE, "run-a", until=NOW + 100, now=NOW), "taking the audience lock failed"),
        (lambda r: r.note_run("run-a", {"x": 1}), "recording replace progress failed"),
        (lambda r: r.run("run-a"), "reading replace#run-a failed"),
        (lambda r: r.write_scheduled(AUDIENCE, {"outcome": "succeeded"}, now=NOW), "scheduled replace outcome"),
    ],
)
def test_a_missing_table_is_a_state_error(ddb: Any, call: Any, message: str) -> None:
    # Given a table that does not exist
    records = ReplaceRecords(ddb, "no-such-table")
    # When a record is read or written, Then StateTable's one error type says what failed
    with pytest.raises(StateError, match=message):
        call(records)


def test_a_refused_write_is_not_mistaken_for_a_held_lock(ddb: Any) -> None:
    # Given a table that does not exist
    records = ReplaceRecords(ddb, "no-such-table")
    # When the lock is taken
    with pytest.raises(StateError) as caught:
        records.take_lock(AUDIENCE, "run-a", until=NOW + 100, now=NOW)
    # Then the failure is not AudienceLocked (which would stop the replace instead of retrying it)
    assert not isinstance(caught.value, AudienceLocked)
