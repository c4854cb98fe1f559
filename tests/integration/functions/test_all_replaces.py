"""The nightly fan-out (AllReplacesStateMachine) on moto's interpreter: its Plan and Summarize tasks in
AudienceReplaceFunction, each audience a real child execution of AudienceReplaceStateMachine, Meta
simulated.

Three audiences in two ad accounts, one of which Meta fails: the other two must end exactly their
source, the failure must be named with its reason, a dated CSV key must resolve to the run's day in
the schedule's timezone, and one account's audiences must never overlap (the per-account bound, read
from the parent's execution history and from the order of Meta's calls, not from timings).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from leadloop.audience import hash_record
from leadloop_cli.devstack import lambda_hook, sfn_nested
from leadloop_cli.graphsim import GraphSimulator
from tests.support.moto_stack import AUDIENCE_ID, FORM_ID, PAGE_ID, Env, provisioned

from .test_audience_replace import Replace, expected_rows, person, put_leads

SFN_CONFIG = {"stepfunctions": {"execute_state_machine": True}}
ACCOUNT_A, ACCOUNT_B = "act_300000000000001", "act_300000000000002"
CSV_AUDIENCE = "238000000000002"
FAILING_AUDIENCE = "238000000000003"
ZONE = "Europe/Paris"
KEY_PATTERN = "exports/crm-{yyyy}-{mm}-{dd}.csv"


class FanOut(Replace):
    def start_all(self, document: dict[str, Any] | None = None) -> str:
        arn = self.env.resource("AllReplacesStateMachine")
        name = f"all-{uuid.uuid4().hex[:12]}"
        started = self.sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(document or {}))
        return str(started["executionArn"])

    def wait(self, execution: str, *, timeout: float = 240.0, on_state: Any = None) -> dict[str, Any]:
        return super().wait(execution, timeout=timeout, on_state=on_state)

    def summary(self, execution: str) -> dict[str, Any]:
        """What the Summarize task returned (the execution's output when it succeeded)."""
        [event] = [
            e for e in self.history(execution) if e.get("stateExitedEventDetails", {}).get("name") == "Summarize"
        ]
        return dict(json.loads(event["stateExitedEventDetails"]["output"]))


@pytest.fixture
def fan(sim: GraphSimulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[FanOut]:
    for account in (ACCOUNT_A, ACCOUNT_B):
        sim.add_ad_account(account)
    sim.add_audience(AUDIENCE_ID, ACCOUNT_A)
    sim.add_audience(CSV_AUDIENCE, ACCOUNT_A)
    sim.add_audience(FAILING_AUDIENCE, ACCOUNT_B)
    params = {"ReplaceChunkRows": "3", "ReplacePollSeconds": "5", "NightlyReplaceTimezone": ZONE}
    with provisioned(sim, monkeypatch, parameters=params, moto_config=SFN_CONFIG) as env:
        fan = FanOut(env, [])
        fan.use()
        nested_before = sfn_nested.installed()
        sfn_nested.install()  # as the local stack does when moto starts (motopatches)
        try:
            yield fan
        finally:
            if not nested_before:
                sfn_nested.uninstall()
            lambda_hook.uninstall()


def set_routing(env: Env, audiences: dict[str, Any]) -> None:
    routing = {
        "version": 1,
        "forms": [{"form_id": FORM_ID, "page_id": PAGE_ID, "audience_ids": [AUDIENCE_ID], "default_country": "US"}],
        "audiences": audiences,
    }
    env.client("ssm").put_parameter(
        Name=env.resource("RoutingParameter"), Value=json.dumps(routing), Type="String", Overwrite=True
    )


def csv_source(env: Env) -> dict[str, Any]:
    bucket = env.resource("StagingBucket")
    return {"type": "s3_csv", "bucket": bucket, "key": f"sources/{KEY_PATTERN}", "mapping": {"Email": "EMAIL"}}


def put_dated_csvs(env: Env, days: list[date]) -> dict[str, list[str]]:
    """One CSV per day (different people each), under the day's key; returns key -> emails."""
    written: dict[str, list[str]] = {}
    for n, day in enumerate(days):
        key = f"sources/exports/crm-{day:%Y-%m-%d}.csv"
        emails = [f"crm{n}.{i}@example.com" for i in range(5)]
        body = "Email\n" + "\n".join(emails) + "\n"
        env.client("s3").put_object(Bucket=env.resource("StagingBucket"), Key=key, Body=body.encode())
        written[key] = emails
    return written


def members(env: Env, audience_id: str) -> list[list[str]]:
    view = env.sim.audience(audience_id) or {}
    return sorted([str(c) for c in m] for m in view.get("members", []))


def in_flight_per_account(events: list[dict[str, Any]], account_of: dict[str, str]) -> dict[str, int]:
    """The most child executions of each account running at once, from the parent's history order."""
    running: dict[str, int] = {}
    most: dict[str, int] = {}
    for event in sorted(events, key=lambda e: int(e["id"])):
        if event["type"] == "TaskScheduled" and "startExecution" in event["taskScheduledEventDetails"]["resource"]:
            name = json.loads(event["taskScheduledEventDetails"]["parameters"])["Name"]
            account = account_of[name.split("-")[0]]
            running[account] = running.get(account, 0) + 1
            most[account] = max(most.get(account, 0), running[account])
        elif event["type"] in ("TaskSucceeded", "TaskFailed"):
            details = event.get("taskSucceededEventDetails") or event.get("taskFailedEventDetails") or {}
            if details.get("resourceType") != "states":
                continue
            described = json.loads(details.get("output") or details.get("cause") or "{}")
            account = account_of[str(described["Name"]).split("-")[0]]
            running[account] -= 1
    assert all(n == 0 for n in running.values()), running
    return most


def call_spans(env: Env, audience_ids: list[str]) -> dict[str, tuple[int, int]]:
    """Index of each audience's first and last Graph call in the simulator's log."""
    spans: dict[str, tuple[int, int]] = {}
    for index, call in enumerate(env.sim.calls()):
        path = str(call.get("path", ""))
        for audience_id in audience_ids:
            if f"/{audience_id}" in path:
                first, _ = spans.get(audience_id, (index, index))
                spans[audience_id] = (first, index)
    return spans


def test_three_audiences_two_accounts_one_failing(fan: FanOut):
    env = fan.env
    people = [person(n) for n in range(6)]
    put_leads(env, people)
    now = datetime.now(ZoneInfo(ZONE))
    # The run's day is the day it starts in Paris; near midnight both candidate files exist, each with
    # other people, and the members show which one the run read.
    written = put_dated_csvs(env, sorted({now.date(), (now + timedelta(minutes=10)).date()}))
    set_routing(
        env,
        {
            AUDIENCE_ID: {"account_id": ACCOUNT_A, "replace": {"source": {"type": "leads"}}},
            CSV_AUDIENCE: {"account_id": ACCOUNT_A, "replace": {"source": csv_source(env), "max_concurrency": 2}},
            FAILING_AUDIENCE: {
                "account_id": ACCOUNT_B,
                "replace": {"source": {"type": "leads", "form_ids": [FORM_ID]}},
            },
            "238000000000009": {"account_id": ACCOUNT_B},  # declared without a replace: left alone
        },
    )
    env.sim.set_replace_outcome(FAILING_AUDIENCE, "fail")
    before_failing = members(env, FAILING_AUDIENCE)

    execution = fan.wait(fan.start_all({"trigger": "schedule"}))

    # The run fails because one audience did, and says which and why.
    assert execution["status"] == "FAILED", execution
    assert execution["error"] == "AudienceReplacesFailed"
    assert execution["cause"].startswith("1 of 3 audience(s) failed:")
    assert f"{FAILING_AUDIENCE} ({FAILING_AUDIENCE}-" in execution["cause"] and "ReplaceFailed" in execution["cause"]
    assert "1870148" in execution["cause"] or "415" in execution["cause"]
    # The other two are exactly their sources.
    assert members(env, AUDIENCE_ID) == expected_rows(people)
    local_start = execution["startDate"].astimezone(ZoneInfo(ZONE))
    key = f"sources/exports/crm-{local_start:%Y-%m-%d}.csv"
    assert members(env, CSV_AUDIENCE) == sorted(hash_record({"EMAIL": e}, ["EMAIL"]) for e in written[key])
    assert members(env, FAILING_AUDIENCE) == before_failing

    summary = fan.summary(execution["executionArn"])
    assert (summary["audiences"], summary["succeeded"], summary["failed"]) == (3, 2, 1)
    by_id = {r["audience_id"]: r for r in summary["results"]}
    assert by_id[AUDIENCE_ID]["status"] == "succeeded" and by_id[AUDIENCE_ID]["rows"] == 6
    assert by_id[CSV_AUDIENCE]["rows"] == 5 and by_id[CSV_AUDIENCE]["source"].endswith(key)
    failed = by_id[FAILING_AUDIENCE]
    assert failed["status"] == "failed" and failed["error"] == "ReplaceFailed" and failed["cause"]
    stamp = f"{local_start:%Y%m%d-%H%M}"
    for audience_id, result in by_id.items():
        assert result["execution"].startswith(f"{audience_id}-{stamp}-"), result["execution"]
        recorded = fan.state_item(f"audience#{audience_id}", "replace#scheduled")
        assert recorded is not None and recorded["status"]["S"] == result["status"]
        assert recorded["run_id"]["S"] == execution["name"] and recorded["trigger"]["S"] == "schedule"
    assert fan.state_item("audience#238000000000009", "replace#scheduled") is None

    # The children are AudienceReplace executions named for their audience, started by this run.
    children = fan.sfn.list_executions(stateMachineArn=env.resource("AudienceReplaceStateMachine"))["executions"]
    assert {c["name"]: c["status"] for c in children} == {
        by_id[AUDIENCE_ID]["execution"]: "SUCCEEDED",
        by_id[CSV_AUDIENCE]["execution"]: "SUCCEEDED",
        failed["execution"]: "FAILED",
    }
    child_input = json.loads(fan.sfn.describe_execution(executionArn=children[0]["executionArn"])["input"])
    assert child_input["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == execution["executionArn"]

    # Account A's two audiences never overlapped (ReplaceAccountConcurrency = 1): by the parent's
    # history, and by Meta's call log (each audience's calls form one unbroken stretch).
    account_of = {AUDIENCE_ID: ACCOUNT_A, CSV_AUDIENCE: ACCOUNT_A, FAILING_AUDIENCE: ACCOUNT_B}
    assert in_flight_per_account(fan.history(execution["executionArn"]), account_of)[ACCOUNT_A] == 1
    spans = call_spans(env, [AUDIENCE_ID, CSV_AUDIENCE])
    first, second = sorted(spans.values())
    assert first[1] < second[0], spans


def test_a_wider_bound_lets_one_accounts_audiences_run_side_by_side_but_never_more(fan: FanOut):
    env = fan.env
    extra = ["238000000000004", "238000000000005"]
    for audience_id in extra:
        env.sim.add_audience(audience_id, ACCOUNT_A)
    put_leads(env, [person(n) for n in range(4)])
    leads = {"source": {"type": "leads", "form_ids": [FORM_ID]}}
    set_routing(env, {a: {"account_id": ACCOUNT_A, "replace": leads} for a in [AUDIENCE_ID, *extra]})
    fan.use(REPLACE_ACCOUNT_CONCURRENCY="2")

    execution = fan.wait(fan.start_all())

    assert execution["status"] == "SUCCEEDED", execution
    summary = json.loads(execution["output"])
    assert (summary["audiences"], summary["succeeded"], summary["per_account"]) == (3, 3, 2)
    account_of = dict.fromkeys([AUDIENCE_ID, *extra], ACCOUNT_A)
    assert in_flight_per_account(fan.history(execution["executionArn"]), account_of)[ACCOUNT_A] <= 2
    for audience_id in [AUDIENCE_ID, *extra]:
        assert members(env, audience_id) == expected_rows([person(n) for n in range(4)])


def test_a_missing_dated_csv_fails_that_audience_with_the_resolved_key_and_a_dry_run_records_nothing(fan: FanOut):
    env = fan.env
    put_leads(env, [person(1)])
    set_routing(
        env,
        {
            CSV_AUDIENCE: {"account_id": ACCOUNT_A, "replace": {"source": csv_source(env)}},
            AUDIENCE_ID: {"account_id": ACCOUNT_A, "replace": {"source": {"type": "leads"}}},
        },
    )
    execution = fan.wait(fan.start_all({"date": "2026-02-28", "dry_run": True}))

    assert execution["status"] == "FAILED" and execution["error"] == "AudienceReplacesFailed"
    assert "InvalidReplaceInput" in execution["cause"]
    assert "sources/exports/crm-2026-02-28.csv" in execution["cause"]  # the key of the day asked for
    summary = fan.summary(execution["executionArn"])
    by_id = {r["audience_id"]: r for r in summary["results"]}
    assert by_id[AUDIENCE_ID]["status"] == "dry_run" and summary["dry_run"] is True
    assert members(env, AUDIENCE_ID) == []  # a dry run sends nothing
    assert fan.state_item(f"audience#{AUDIENCE_ID}", "replace#scheduled") is None


def test_no_audience_with_a_replace_is_a_quick_success(fan: FanOut):
    set_routing(fan.env, {AUDIENCE_ID: {"account_id": ACCOUNT_A}})
    execution = fan.wait(fan.start_all())
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"])["audiences"] == 0
    assert fan.calls == ["plan", "summarize"]
