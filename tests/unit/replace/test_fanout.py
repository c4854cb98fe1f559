"""The fan-out's tasks: ``plan`` (routing → accounts → child inputs) and ``summarize`` (children → records)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from leadloop.replace.deps import ReplaceDeps
from leadloop.replace.errors import InvalidReplaceInput
from leadloop.replace.fanout import FAILED_ERROR, child_failure, child_name, plan, summarize
from leadloop.replace.request import STARTED_BY, parse_request
from leadloop.routing import Routing
from leadloop.settings import AudienceReplaceSettings
from leadloop.state.replace_records import ReplaceRecords
from tests.unit.state_table import create_state_table

TABLE = "state"
PARENT = "arn:aws:states:us-east-1:123456789012:execution:all-replaces:all-20261103T013000-ab12cd34"
NAME = "all-20261103T013000-ab12cd34"
CSV = {
    "type": "s3_csv",
    "bucket": "crm-exports",
    "key": "exports/crm-{yyyy}-{mm}-{dd}.csv",
    "mapping": {"Email": "EMAIL"},
}
ROUTING = Routing.model_validate(
    {
        "version": 1,
        "forms": [{"form_id": "11", "page_id": "9", "audience_ids": ["501"]}],
        "audiences": {
            "501": {"account_id": "act_1", "replace": {"source": {"type": "leads"}, "max_concurrency": 3}},
            "601": {"account_id": "act_2", "replace": {"source": CSV | {"default_country": "fr"}}},
            "502": {"account_id": "1", "replace": {"source": {"type": "leads", "form_ids": ["11"], "since_days": 7}}},
            "503": {"account_id": "act_1"},  # declared, never replaced
        },
    }
)


def settings(**env: str) -> AudienceReplaceSettings:
    return AudienceReplaceSettings.model_validate(
        {
            "GRAPH_API_VERSION": "v26.0",
            "META_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:meta",
            "ROUTING_PARAMETER_NAME": "/leadloop/routing",
            "LEADS_TABLE_NAME": "leads",
            "STATE_TABLE_NAME": TABLE,
            "STAGING_BUCKET_NAME": "staging",
        }
        | env
    )


def deps(records: Any = None, *, routing: Routing = ROUTING, env: dict[str, str] | None = None) -> ReplaceDeps:
    def unused(*args: Any) -> Any:
        raise AssertionError("the fan-out's tasks never reach Meta or the staging area")

    return ReplaceDeps(
        graph=unused,
        records=records,
        staging=unused,
        dynamodb=None,
        s3=None,
        routing=lambda: routing,
        settings=settings(**(env or {})),
        clock=lambda: 1_793_760_000.0,
    )


def planned(input_: Any = None, started: str = "2026-11-03T23:30:00.000Z", **env: str) -> dict[str, Any]:
    state = {"input": {} if input_ is None else input_, "execution_id": PARENT, "execution_name": NAME}
    return plan(state | {"started": started}, deps(env=env), lambda: 60.0)


# ---------------------------------------------------------------------- plan
def test_audiences_are_grouped_by_account_in_the_routings_order():
    result = planned()
    accounts = [(a["account_id"], [x["audience_id"] for x in a["audiences"]]) for a in result["accounts"]]
    assert accounts == [("1", ["501", "502"]), ("2", ["601"])]
    assert all(a["max_concurrency"] == 1 for a in result["accounts"])  # REPLACE_ACCOUNT_CONCURRENCY's default
    assert result["fanout"] | {"started": 0} == {
        "run_id": NAME,
        "trigger": "console",
        "dry_run": False,
        "date": "2026-11-03",
        "timezone": "UTC",
        "started": 0,
        "audiences": 3,
        "accounts": 2,
        "per_account": 1,
    }


def test_each_child_gets_the_replaces_own_input_and_a_recognisable_name():
    [first, second] = planned(REPLACE_ACCOUNT_CONCURRENCY="2")["accounts"]
    assert first["max_concurrency"] == 2
    leads, forms = first["audiences"]
    assert leads["input"] == {
        "audience_id": "501",
        "source": {"type": "leads"},
        "max_concurrency": 3,
        STARTED_BY: PARENT,
    }
    assert forms["input"]["source"] == {"type": "leads", "form_ids": ["11"], "since_days": 7}
    assert (leads["name"], forms["name"]) == ("501-20261103-2330-ab12cd34", "502-20261103-2330-ab12cd34")
    assert (leads["source"], forms["source"]) == ("leads", "leads of forms 11")
    for item in first["audiences"] + second["audiences"]:
        assert parse_request(item["input"]).audience_id == item["audience_id"]  # what the child will accept


def test_a_dated_key_resolves_to_the_runs_day_in_the_schedules_timezone():
    [csv] = planned()["accounts"][1]["audiences"]
    assert csv["input"]["source"] == CSV | {"key": "exports/crm-2026-11-03.csv", "default_country": "fr"}
    assert csv["source"] == "s3://crm-exports/exports/crm-2026-11-03.csv"
    # 23:30 UTC is already the next day in Paris: the key, the fan-out's date and the names follow it.
    paris = planned(REPLACE_TIMEZONE="Europe/Paris")
    [csv] = paris["accounts"][1]["audiences"]
    assert csv["input"]["source"]["key"] == "exports/crm-2026-11-04.csv"
    assert paris["fanout"]["date"] == "2026-11-04" and csv["name"] == "601-20261104-0030-ab12cd34"


def test_a_date_in_the_input_resolves_another_day_and_a_dry_run_reaches_every_child():
    result = planned({"date": "2026-10-31", "dry_run": True, "trigger": "cli"})
    [csv] = result["accounts"][1]["audiences"]
    assert csv["input"]["source"]["key"] == "exports/crm-2026-10-31.csv"
    assert all(x["input"]["dry_run"] is True for a in result["accounts"] for x in a["audiences"])
    assert result["fanout"]["trigger"] == "cli" and result["fanout"]["dry_run"] is True


def test_no_replaced_audience_plans_nothing():
    result = plan({"input": {}}, deps(routing=Routing.model_validate({"version": 1})), lambda: 60.0)
    assert result["accounts"] == [] and result["fanout"]["audiences"] == 0


@pytest.mark.parametrize("bad", [{"audience_id": "1"}, {"date": "tomorrow"}, {"dry_run": "maybe"}, [], "x"])
def test_a_bad_fan_out_input_is_refused(bad: Any):
    with pytest.raises(InvalidReplaceInput, match="invalid fan-out input"):
        planned(bad)


def test_child_names_fit_step_functions_limits():
    name = child_name("9" * 30, datetime(2026, 1, 2, 3, 4, tzinfo=UTC), "a UUID-like 1b2c-3d4e5f6a7b8c")
    assert name == f"{'9' * 30}-20260102-0304-5f6a7b8c"
    assert len(name) <= 80 and " " not in name
    assert child_name("1", datetime(2026, 1, 2, tzinfo=UTC), "").endswith("-run")


# ---------------------------------------------------------------------- summarize
@pytest.fixture
def records(ddb: Any) -> ReplaceRecords:
    create_state_table(ddb, TABLE)
    return ReplaceRecords(ddb, TABLE)


def own_outcome(records: ReplaceRecords, audience: str, name: str, **fields: Any) -> None:
    records.write_outcome(audience, name, 1_793_760_000, {"status": "succeeded", "run_id": name} | fields)


FANOUT = {"run_id": NAME, "trigger": "schedule", "dry_run": False, "date": "2026-11-03", "timezone": "UTC"}


def child_failed(name: str, error: str, cause: str) -> dict[str, Any]:
    described = {"ExecutionArn": f"arn:...:{name}", "Name": name, "Status": "FAILED", "Error": error, "Cause": cause}
    return {"Error": "States.TaskFailed", "Cause": json.dumps(described)}


def test_every_audience_is_summarized_recorded_and_a_failure_named(records: ReplaceRecords, capsys: Any):
    own_outcome(records, "501", "501-n", rows_unique=10, seconds_total=12)
    own_outcome(
        records, "502", "502-n", status="failed", error="ReplaceFailed", cause="Meta: 415 failed", rows_unique=4
    )
    results = [
        [
            {"audience_id": "501", "account_id": "1", "name": "501-n", "source": "leads", "execution_arn": "arn:501"},
            {
                "audience_id": "502",
                "account_id": "1",
                "name": "502-n",
                "source": "leads",
                "error": child_failed("502-n", "ReplaceFailed", "Meta: 415 failed"),
            },
        ],
        [
            {
                "audience_id": "601",
                "account_id": "2",
                "name": "601-n",
                "source": "s3://b/k.csv",
                "error": {
                    "Error": "StepFunctions.ExecutionAlreadyExistsException",
                    "Cause": "Execution Already Exists",
                },
            }
        ],
    ]
    summary = summarize({"fanout": FANOUT, "results": results}, deps(records), lambda: 60.0)

    assert (summary["audiences"], summary["succeeded"], summary["failed"]) == (3, 1, 2)
    by_id = {r["audience_id"]: r for r in summary["results"]}
    assert by_id["501"] | {"source": None} == {
        "audience_id": "501",
        "account_id": "1",
        "execution": "501-n",
        "source": None,
        "status": "succeeded",
        "rows": 10,
        "seconds": 12,
        "error": None,
        "cause": None,
    }
    assert (by_id["502"]["status"], by_id["502"]["error"], by_id["502"]["cause"]) == (
        "failed",
        "ReplaceFailed",
        "Meta: 415 failed",
    )
    assert by_id["502"]["rows"] == 4
    assert (by_id["601"]["error"], by_id["601"]["rows"]) == ("StepFunctions.ExecutionAlreadyExistsException", None)
    assert summary["error"] == FAILED_ERROR
    assert summary["cause"].splitlines() == [
        "2 of 3 audience(s) failed:",
        "502 (502-n): ReplaceFailed: Meta: 415 failed",
        "601 (601-n): StepFunctions.ExecutionAlreadyExistsException: Execution Already Exists",
    ]
    scheduled = records.scheduled_outcome("601")
    assert scheduled is not None and scheduled["status"] == "failed" and scheduled["run_id"] == NAME
    assert (
        scheduled["execution"] == "601-n" and scheduled["trigger"] == "schedule" and scheduled["date"] == "2026-11-03"
    )
    assert (records.scheduled_outcome("501") or {})["rows"] == 10
    # ReplaceFailed only for the audience whose child never recorded an outcome of its own (601).
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    failed_metrics = [m["audience_id"] for m in emitted if "ReplaceFailed" in m]
    assert failed_metrics == ["601"]
    assert not any("ReplaceSucceeded" in m for m in emitted)


def test_a_success_whose_outcome_another_run_overwrote_has_unknown_rows(records: ReplaceRecords):
    own_outcome(records, "501", "later-manual-run", rows_unique=99)
    results = [[{"audience_id": "501", "account_id": "1", "name": "501-n", "source": "leads"}]]
    summary = summarize({"fanout": FANOUT, "results": results}, deps(records), lambda: 60.0)
    assert summary["failed"] == 0 and "error" not in summary
    assert summary["results"][0]["status"] == "succeeded" and summary["results"][0]["rows"] is None


def test_a_dry_run_fan_out_records_nothing(records: ReplaceRecords):
    results = [[{"audience_id": "501", "account_id": "1", "name": "501-n", "source": "leads"}]]
    summarize({"fanout": FANOUT | {"dry_run": True}, "results": results}, deps(records), lambda: 60.0)
    assert records.scheduled_outcome("501") is None


def test_no_audience_summarizes_to_zero(records: ReplaceRecords):
    summary = summarize({"fanout": FANOUT, "results": []}, deps(records), lambda: 60.0)
    assert (summary["audiences"], summary["failed"]) == (0, 0) and "error" not in summary


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (child_failed("x", "EmptySource", "no usable row"), ("EmptySource", "no usable row")),
        (
            {"Error": "States.TaskFailed", "Cause": json.dumps({"Status": "TIMED_OUT"})},
            ("ExecutionTimedOut", "the child execution ended TIMED_OUT"),
        ),
        (
            {"Error": "States.TaskFailed", "Cause": json.dumps({"Status": "ABORTED"})},
            ("ExecutionAborted", "the child execution ended ABORTED"),
        ),
        ({"Error": "States.Runtime", "Cause": "not json"}, ("States.Runtime", "not json")),
        ({}, ("Unknown", "")),
    ],
)
def test_the_childs_own_error_is_read_from_the_caught_failure(error: dict[str, Any], expected: tuple[str, str]):
    assert child_failure(error) == expected
