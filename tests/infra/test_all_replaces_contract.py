"""The nightly fan-out (AllReplacesStateMachine): its ASL, its role, its schedule and its alarm."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tests.support.template import REPO_ROOT

if TYPE_CHECKING:
    from tests.support.template import CfnTemplate

SYNC_CHILD = "arn:aws:states:::states:startExecution.sync:2"


def _asl() -> dict[str, Any]:
    return dict(json.loads((REPO_ROOT / "infra" / "statemachines" / "all_replaces.asl.json").read_text()))


def _all_states(states: dict[str, Any]) -> dict[str, Any]:
    """Every state, including those inside Map item processors."""
    found = dict(states)
    for state in states.values():
        if state["Type"] == "Map":
            found |= _all_states(state["ItemProcessor"]["States"])
    return found


def _statements(props: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in props["Policies"] if isinstance(p, dict) and "Statement" in p for s in p["Statement"]]


def test_the_fan_out_is_its_asl_file_with_the_function_and_the_child_machine_substituted(template: CfnTemplate):
    props = template.props("AllReplacesStateMachine")
    assert props["DefinitionUri"] == "statemachines/all_replaces.asl.json"
    assert set(props["DefinitionSubstitutions"]) == {"AudienceReplaceFunctionArn", "AudienceReplaceStateMachineArn"}
    assert props["DefinitionSubstitutions"]["AudienceReplaceStateMachineArn"] == {"Ref": "AudienceReplaceStateMachine"}
    states = _all_states(_asl()["States"])
    tasks = {name: s for name, s in states.items() if s["Type"] == "Task"}
    assert {s["Resource"] for s in tasks.values()} == {"${AudienceReplaceFunctionArn}", SYNC_CHILD}
    from leadloop.replace.tasks import FANOUT_TASKS

    lambda_tasks = {s["Parameters"]["task"] for s in tasks.values() if s["Resource"] != SYNC_CHILD}
    assert lambda_tasks == set(FANOUT_TASKS)


def test_accounts_run_side_by_side_and_one_accounts_audiences_are_bounded():
    accounts = _asl()["States"]["Accounts"]
    assert accounts["Type"] == "Map" and accounts["ItemsPath"] == "$.accounts"
    assert "MaxConcurrency" not in accounts and "MaxConcurrencyPath" not in accounts
    audiences = accounts["ItemProcessor"]["States"]["Audiences"]
    assert audiences["Type"] == "Map" and audiences["MaxConcurrencyPath"] == "$.max_concurrency"


def test_a_childs_failure_is_caught_and_the_others_go_on():
    states = _all_states(_asl()["States"])
    child = states["ReplaceAudience"]
    assert child["Resource"] == SYNC_CHILD
    assert child["Parameters"] == {
        "StateMachineArn": "${AudienceReplaceStateMachineArn}",
        "Name.$": "$.name",
        "Input.$": "$.input",
    }
    [catch] = child["Catch"]
    assert catch["ErrorEquals"] == ["States.ALL"] and states[catch["Next"]].get("End") is True
    assert "Retry" not in child  # the child retries its own steps; a second child would find the lock
    top = _asl()["States"]
    assert top["AnyFailed"]["Choices"][0]["Next"] == "SomeFailed" and top["SomeFailed"]["Type"] == "Fail"


def test_the_role_holds_what_aws_documents_for_a_synchronous_nested_execution(template: CfnTemplate):
    props = template.props("AllReplacesStateMachine")
    by_action = {
        a: s for s in _statements(props) for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert by_action["states:StartExecution"]["Resource"] == {"Ref": "AudienceReplaceStateMachine"}
    for action in ("states:DescribeExecution", "states:StopExecution"):
        resource = by_action[action]["Resource"]["Fn::Sub"]
        assert resource.endswith(":execution:${AudienceReplaceStateMachine.Name}:*"), action
    for action in ("events:PutTargets", "events:PutRule", "events:DescribeRule"):
        resource = by_action[action]["Resource"]["Fn::Sub"]
        assert resource.endswith(":rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"), action
    assert {"LambdaInvokePolicy": {"FunctionName": {"Ref": "AudienceReplaceFunction"}}} in props["Policies"]


def test_one_schedule_in_the_schedules_timezone_starts_the_fan_out(template: CfnTemplate):
    nightly = template.props("AllReplacesStateMachine")["Events"]["Nightly"]
    assert nightly["Type"] == "ScheduleV2"
    props = nightly["Properties"]
    assert props["ScheduleExpression"] == {"Ref": "NightlyReplaceSchedule"}
    assert props["ScheduleExpressionTimezone"] == {"Ref": "NightlyReplaceTimezone"}
    assert json.loads(props["Input"]) == {"trigger": "schedule"}
    # The single-audience schedule stays (NightlyReplaceInput), in the same timezone.
    single = template.props("AudienceReplaceStateMachine")["Events"]["Nightly"]["Properties"]
    assert single["ScheduleExpressionTimezone"] == {"Ref": "NightlyReplaceTimezone"}
    env = template.props("AudienceReplaceFunction")["Environment"]["Variables"]
    assert env["REPLACE_TIMEZONE"] == {"Ref": "NightlyReplaceTimezone"}
    assert env["REPLACE_ACCOUNT_CONCURRENCY"] == {"Ref": "ReplaceAccountConcurrency"}
    bound = template.document["Parameters"]["ReplaceAccountConcurrency"]
    assert bound["Default"] == 1 and bound["MinValue"] == 1


def test_a_failed_fan_out_alarms(template: CfnTemplate):
    props = template.props("AllReplacesFailedAlarm")
    assert (props["Namespace"], props["MetricName"]) == ("AWS/States", "ExecutionsFailed")
    assert props["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": "AllReplacesStateMachine"}}]
