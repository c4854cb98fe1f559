"""moto runs ``states:startExecution.sync:2`` as Step Functions does once :mod:`sfn_nested` is installed.

Without it moto hands the ASL's ``StateMachineArn``/``Name``/``Input`` to boto3 unchanged and the task
fails ``States.Runtime``; with it the child starts under its name, the parent waits, and gets the
child's description (or ``States.TaskFailed`` with it as the cause). Map's ``MaxConcurrencyPath`` bound
is moto's own and holds: no two children of one Map run at once when the bound is 1.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from leadloop_cli.devstack import sfn_nested

ROLE = "arn:aws:iam::123456789012:role/states"
CHILD = {
    "StartAt": "Route",
    "States": {
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Fail"}],
            "Default": "Work",
        },
        "Work": {"Type": "Pass", "Parameters": {"done.$": "$.id"}, "End": True},
        "Fail": {"Type": "Fail", "Error": "ReplaceFailed", "Cause": "Meta: 415 failed"},
    },
}


def parent(child_arn: str) -> dict[str, Any]:
    run = {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": child_arn, "Name.$": "$.name", "Input.$": "$.input"},
        "ResultSelector": {"arn.$": "$.ExecutionArn", "status.$": "$.Status", "output.$": "$.Output"},
        "ResultPath": "$.result",
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
        "End": True,
    }
    return {
        "StartAt": "Items",
        "States": {
            "Items": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrencyPath": "$.bound",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Run",
                    "States": {"Run": run, "Caught": {"Type": "Pass", "End": True}},
                },
                "End": True,
            }
        },
    }


@pytest.fixture
def sfn() -> Iterator[Any]:
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield boto3.client("stepfunctions", region_name="us-east-1")


def run(sfn: Any, items: list[dict[str, Any]], bound: int = 1) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    child = sfn.create_state_machine(name="child", definition=json.dumps(CHILD), roleArn=ROLE)["stateMachineArn"]
    machine = sfn.create_state_machine(name="parent", definition=json.dumps(parent(child)), roleArn=ROLE)
    execution = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], input=json.dumps({"items": items, "bound": bound})
    )["executionArn"]
    deadline = time.monotonic() + 60
    while (answer := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the parent never ended"
        time.sleep(0.1)
    return answer, sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]


def item(n: int, *, fail: bool = False) -> dict[str, Any]:
    return {"name": f"audience-{n}", "input": {"id": n, "fail": fail}}


@pytest.fixture
def nested() -> Iterator[None]:
    """The emulation on for the test, as it was afterwards (a local stack in this process installs it)."""
    was = sfn_nested.installed()
    sfn_nested.install()
    sfn_nested.install()  # idempotent
    yield
    if not was:
        sfn_nested.uninstall()


@pytest.fixture
def plain_moto() -> Iterator[None]:
    was = sfn_nested.installed()
    sfn_nested.uninstall()
    yield
    if was:
        sfn_nested.install()


def test_a_child_runs_under_its_name_and_its_failure_is_caught(sfn: Any, nested: None) -> None:
    answer, _ = run(sfn, [item(1), item(2, fail=True), item(3)])

    assert answer["status"] == "SUCCEEDED"
    first, second, third = json.loads(answer["output"])
    assert first["result"]["arn"].endswith(":execution:child:audience-1")
    assert first["result"]["status"] == "SUCCEEDED" and first["result"]["output"] == {"done": 1}  # JSON, as :2 gives it
    assert third["result"]["output"] == {"done": 3}
    assert second["error"]["Error"] == "States.TaskFailed"
    described = json.loads(second["error"]["Cause"])
    assert (described["Name"], described["Status"]) == ("audience-2", "FAILED")
    assert (described["Error"], described["Cause"]) == ("ReplaceFailed", "Meta: 415 failed")
    children = sfn.list_executions(
        stateMachineArn=first["result"]["arn"].rsplit(":", 1)[0].replace(":execution:", ":stateMachine:")
    )
    assert {e["name"]: e["status"] for e in children["executions"]} == {
        "audience-1": "SUCCEEDED",
        "audience-2": "FAILED",
        "audience-3": "SUCCEEDED",
    }


def test_a_bound_of_one_runs_the_children_one_after_another(sfn: Any, nested: None) -> None:
    _, events = run(sfn, [item(n) for n in range(4)], bound=1)
    in_flight, most = 0, 0
    for event in sorted(events, key=lambda e: int(e["id"])):
        if event["type"] == "TaskScheduled":
            in_flight += 1
            most = max(most, in_flight)
        elif event["type"] in ("TaskSucceeded", "TaskFailed"):
            in_flight -= 1
    assert most == 1 and in_flight == 0


def test_without_the_emulation_moto_cannot_start_a_child(sfn: Any, plain_moto: None) -> None:
    assert not sfn_nested.installed()
    answer, _ = run(sfn, [item(1)])
    [only] = json.loads(answer["output"])
    assert only["error"]["Error"] == "States.Runtime" and "StateMachineArn" in only["error"]["Cause"]


def test_uninstall_gives_moto_its_methods_back(plain_moto: None) -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
        StateTaskServiceSfn,
    )

    before = StateTaskServiceSfn.__dict__["_normalise_parameters"]
    sfn_nested.install()
    assert StateTaskServiceSfn.__dict__["_normalise_parameters"] is not before
    assert "_normalise_response" in StateTaskServiceSfn.__dict__
    sfn_nested.uninstall()
    assert StateTaskServiceSfn.__dict__["_normalise_parameters"] is before
    assert "_normalise_response" not in StateTaskServiceSfn.__dict__


def test_another_moto_is_refused(plain_moto: None) -> None:
    import moto

    with pytest.MonkeyPatch.context() as patch:  # undone before plain_moto puts a running stack's patch back
        patch.setattr(moto, "__version__", "9.9.9")
        with pytest.raises(sfn_nested.NestedExecutionHookError, match=r"supports moto 5\.2\.5, found 9\.9\.9"):
            sfn_nested.install()
