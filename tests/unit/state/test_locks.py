"""AudienceLocks on moto DynamoDB: the uploader reads the very lock item the replace takes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leadloop.state.errors import StateError
from leadloop.state.locks import AudienceLocks
from leadloop.state.replace_records import ReplaceRecords
from tests.unit.state_table import moto_state_table

TABLE = "state"
NOW = 1_700_000_000
AUDIENCE = "238000000000001"


@pytest.fixture
def ddb() -> Iterator[Any]:
    with moto_state_table(TABLE) as client:
        yield client


@pytest.fixture
def locks(ddb: Any) -> AudienceLocks:
    return AudienceLocks(ddb, TABLE)


@pytest.fixture
def replace(ddb: Any) -> ReplaceRecords:
    return ReplaceRecords(ddb, TABLE)


def test_a_lock_the_replace_takes_holds_the_audience_for_the_uploader(locks: AudienceLocks, replace: ReplaceRecords):
    # Given a replace run holding the audience
    replace.take_lock(AUDIENCE, "run-a", until=NOW + 100, now=NOW)
    # When the uploader reads the locks, Then the audience is held until the lock's expiry
    assert locks.held_until([AUDIENCE], NOW) == {AUDIENCE: NOW + 100}


def test_an_expired_lock_holds_nothing(locks: AudienceLocks, replace: ReplaceRecords):
    # Given a lock whose expiry has passed
    replace.take_lock(AUDIENCE, "run-a", until=NOW + 100, now=NOW)
    # When the uploader reads the locks after it, Then the audience is free
    assert locks.held_until([AUDIENCE], NOW + 100) == {}


def test_a_released_lock_holds_nothing(locks: AudienceLocks, replace: ReplaceRecords):
    replace.take_lock(AUDIENCE, "run-a", until=NOW + 100, now=NOW)
    replace.release_lock(AUDIENCE, "run-a")
    assert locks.held_until([AUDIENCE], NOW) == {}


def test_more_audiences_than_one_batch_read_are_all_checked(locks: AudienceLocks, replace: ReplaceRecords):
    # Given 150 audiences (BatchGetItem reads 100 keys at most), the last one locked
    audiences = [f"2380000000{n:05d}" for n in range(150)]
    replace.take_lock(audiences[-1], "run-a", until=NOW + 100, now=NOW)
    # When the uploader reads them all, Then the locked one is found
    assert locks.held_until(audiences, NOW) == {audiences[-1]: NOW + 100}


def test_unreadable_locks_are_a_state_error(ddb: Any):
    # Given a table that does not exist, When the locks are read, Then the caller cannot take them as free
    with pytest.raises(StateError, match="reading audience locks failed"):
        AudienceLocks(ddb, "no-such-table").held_until([AUDIENCE], NOW)
