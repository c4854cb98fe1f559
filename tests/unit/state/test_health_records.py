"""HealthRecords on moto DynamoDB: the latest item round trip and the expiring history items."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from leadloop.health.findings import Finding, Report, Status
from leadloop.health.service import health_record, record
from leadloop.state.errors import StateError
from leadloop.state.health_records import HISTORY_SECONDS, HealthRecords
from tests.unit.health.fakes import NOW, FakeAlerts, Rig
from tests.unit.state_table import moto_state_table

TABLE = "state"
FAIL = Finding("token", Status.FAIL, "page 111", "the token has expired", "issue a new token")
WARN = Finding("audience", Status.WARN, "audience 238001", "expiring", "use it")
OK = Finding("lead_read", Status.OK, "form 1001", "leads can be read")


@pytest.fixture(scope="module")
def ddb() -> Iterator[Any]:
    with moto_state_table(TABLE) as client:
        yield client


@pytest.fixture
def records(ddb: Any) -> Iterator[HealthRecords]:
    yield HealthRecords(ddb, TABLE)
    for item in ddb.scan(TableName=TABLE)["Items"]:
        ddb.delete_item(TableName=TABLE, Key={"pk": item["pk"], "sk": item["sk"]})


def items(ddb: Any) -> dict[str, dict[str, Any]]:
    return {i["sk"]["S"]: i for i in ddb.scan(TableName=TABLE)["Items"]}


def test_nothing_saved_yet_is_none(records: HealthRecords):
    assert records.latest() is None


def test_save_then_latest_round_trips(records: HealthRecords):
    report = Report(checked_at=NOW, findings=[OK, FAIL, WARN])
    records.save(health_record(report), alerted_at=NOW - 5)
    latest = records.latest()
    assert latest is not None
    assert latest["alerted_at"] == NOW - 5
    assert latest["problem_keys"] == ["audience|audience 238001|warn", "token|page 111|fail"]
    assert latest["report"] == json.loads(json.dumps(report.as_dict()))
    assert latest["report"]["status"] == "fail"


def test_a_report_never_alerted_has_no_alerted_at(records: HealthRecords):
    records.save(health_record(Report(checked_at=NOW, findings=[OK])), alerted_at=None)
    latest = records.latest()
    assert latest is not None and latest["alerted_at"] is None and latest["problem_keys"] == []


def test_the_latest_is_replaced_and_history_items_expire(records: HealthRecords, ddb: Any):
    records.save(health_record(Report(checked_at=NOW, findings=[FAIL])), alerted_at=NOW)
    records.save(health_record(Report(checked_at=NOW + 60, findings=[OK])), alerted_at=None)
    stored = items(ddb)
    assert set(stored) == {"latest", f"report#{NOW:010d}", f"report#{NOW + 60:010d}"}
    assert all(i["pk"]["S"] == "health" for i in stored.values())
    first = stored[f"report#{NOW:010d}"]
    assert first["expires_at"]["N"] == str(NOW + HISTORY_SECONDS)
    assert first["status"]["S"] == "fail" and first["alerted_at"]["N"] == str(NOW)
    assert "expires_at" not in stored["latest"]  # the latest record never expires
    assert stored["latest"]["checked_at"]["N"] == str(NOW + 60)
    latest = records.latest()
    assert latest is not None and latest["report"]["status"] == "ok" and latest["alerted_at"] is None


def test_history_keys_sort_by_time(records: HealthRecords, ddb: Any):
    for at in (999_999_999, NOW):
        records.save(health_record(Report(checked_at=at)), alerted_at=None)
    keys = sorted(k for k in items(ddb) if k.startswith("report#"))
    assert keys == ["report#0999999999", f"report#{NOW:010d}"]


def test_an_unreadable_table_reads_as_no_previous_record(ddb: Any):
    assert HealthRecords(ddb, "no-such-table").latest() is None


def test_a_refused_save_is_a_state_error(ddb: Any):
    # Given a table that does not exist
    records = HealthRecords(ddb, "no-such-table")
    # When a report is saved, Then StateTable's one error type names DynamoDB's code
    with pytest.raises(StateError, match="recording the health report failed: ResourceNotFoundException"):
        records.save(health_record(Report(checked_at=NOW)), alerted_at=None)


def test_record_alerts_once_across_runs_through_the_table(records: HealthRecords):
    rig = Rig()
    deps = rig.deps()
    deps.store = records
    alerts: FakeAlerts = rig.alerts
    assert record(Report(checked_at=NOW, findings=[FAIL]), deps) is True
    assert record(Report(checked_at=NOW + 3600, findings=[FAIL]), deps) is False
    assert record(Report(checked_at=NOW + 7200, findings=[OK]), deps) is True  # recovery message
    assert record(Report(checked_at=NOW + 7300, findings=[OK]), deps) is False
    assert [s for s, _ in alerts.sent] == [
        "leadloop health: 1 failing, 0 warning",
        "leadloop health: all checks pass again",
    ]
