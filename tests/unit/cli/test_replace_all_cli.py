"""``leadloop replace --all``: its input, the lines it prints while following, and its summary."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from leadloop_cli.commands import CommandError
from leadloop_cli.commands.audience import describe_scheduled
from leadloop_cli.replaceall import describe_summary, fan_out_input, progress, summary_of

AT = datetime(2026, 11, 3, 2, 30, 5, tzinfo=UTC)


def test_the_input_says_who_started_it_and_carries_dry_run_and_date():
    assert fan_out_input(dry_run=False, day=None) == {"trigger": "cli"}
    assert fan_out_input(dry_run=True, day="2026-11-02") == {"trigger": "cli", "dry_run": True, "date": "2026-11-02"}
    with pytest.raises(CommandError, match="--date must be YYYY-MM-DD"):
        fan_out_input(dry_run=False, day="02/11/2026")


def event(n: int, kind: str, **details: Any) -> dict[str, Any]:
    return {"id": n, "timestamp": AT, "type": kind} | details


def test_following_shows_the_steps_and_each_child_as_it_starts_and_ends():
    described = {"Name": "501-20261103-0230-ab12cd34", "Status": "FAILED", "Error": "ReplaceFailed", "Cause": "415"}
    events = [
        event(1, "TaskStateEntered", stateEnteredEventDetails={"name": "Plan"}),
        event(
            2,
            "TaskSubmitted",
            taskSubmittedEventDetails={
                "resourceType": "states",
                "output": json.dumps({"ExecutionArn": "arn:aws:states:r:1:execution:m:501-20261103-0230-ab12cd34"}),
            },
        ),
        event(
            3,
            "TaskSucceeded",
            taskSucceededEventDetails={
                "resourceType": "states",
                "output": json.dumps({"Name": "502-x", "Status": "SUCCEEDED"}),
            },
        ),
        event(
            4,
            "TaskFailed",
            taskFailedEventDetails={
                "resourceType": "states",
                "error": "States.TaskFailed",
                "cause": json.dumps(described),
            },
        ),
        event(
            5,
            "TaskFailed",
            taskFailedEventDetails={
                "resourceType": "states",
                "error": "StepFunctions.ExecutionAlreadyExistsException",
                "cause": "Execution Already Exists",
            },
        ),
        event(6, "TaskSucceeded", taskSucceededEventDetails={"resourceType": "lambda", "output": "{}"}),
        event(7, "TaskStateEntered", stateEnteredEventDetails={"name": "Summarize"}),
    ]
    assert progress(events) == [
        "02:30:05  planning: reading the routing's audiences",
        "02:30:05  started 501-20261103-0230-ab12cd34",
        "02:30:05  502-x: succeeded",
        "02:30:05  501-20261103-0230-ab12cd34: failed (ReplaceFailed)",
        "02:30:05  a child execution could not start: StepFunctions.ExecutionAlreadyExistsException",
        "02:30:05  recording each audience's outcome",
    ]


SUMMARY = {
    "run_id": "all-20261103T023000-ab12cd34",
    "dry_run": False,
    "date": "2026-11-03",
    "timezone": "Europe/Paris",
    "per_account": 1,
    "audiences": 2,
    "succeeded": 1,
    "failed": 1,
    "results": [
        {
            "audience_id": "501",
            "account_id": "42",
            "execution": "501-e",
            "status": "succeeded",
            "rows": 12345,
            "seconds": 61,
        },
        {
            "audience_id": "601",
            "account_id": "77",
            "execution": "601-e",
            "status": "failed",
            "rows": None,
            "seconds": None,
            "error": "ReplaceFailed",
            "cause": "Meta: 415",
        },
    ],
}


def test_the_summary_is_a_line_per_audience():
    assert describe_summary(SUMMARY).splitlines() == [
        "replace --all: 1 of 2 audience(s) replaced, 1 failed (run all-20261103T023000-ab12cd34, "
        "day 2026-11-03 Europe/Paris, 1 per ad account at once)",
        "  501  act_42  succeeded  12,345 rows in 61 s  [501-e]",
        "  601  act_77  failed     ReplaceFailed: Meta: 415  [601-e]",
    ]
    assert "no audience in the routing has a replace block" in describe_summary(SUMMARY | {"results": []})


class History:
    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events

    def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
        return {"events": sorted(self.events, key=lambda e: -int(e["id"]))}


def test_a_failed_runs_summary_comes_from_its_history_and_a_run_that_never_planned_has_none():
    exited = event(9, "TaskStateExited", stateExitedEventDetails={"name": "Summarize", "output": json.dumps(SUMMARY)})
    failed = {"executionArn": "arn", "status": "FAILED"}
    assert summary_of(History([event(1, "ExecutionStarted"), exited]), failed) == SUMMARY
    assert summary_of(History([event(1, "ExecutionStarted")]), failed) is None
    assert (
        summary_of(History([]), {"executionArn": "arn", "status": "SUCCEEDED", "output": json.dumps(SUMMARY)})
        == SUMMARY
    )


def test_audience_status_describes_the_last_scheduled_outcome():
    ok = {
        "status": "succeeded",
        "finished": 1793760000,
        "run_id": "all-1",
        "execution": "501-e",
        "rows": 10,
        "seconds": 12,
    }
    assert describe_scheduled(ok) == "succeeded 2026-11-04 02:40 UTC (run all-1, execution 501-e): 10 rows in 12 s"
    failed = {
        "status": "failed",
        "finished": 1793760000,
        "run_id": "all-1",
        "execution": "601-e",
        "error": "InvalidReplaceInput",
        "cause": "s3://b/crm-2026-11-03.csv cannot be read: 404",
    }
    assert describe_scheduled(failed).endswith("InvalidReplaceInput: s3://b/crm-2026-11-03.csv cannot be read: 404")
