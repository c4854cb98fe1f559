"""What the replace tasks hand the real ASL reads back through the state model unchanged."""

from __future__ import annotations

import json
from typing import Any

from leadloop.replace.state import Ended, ReplaceState
from tests.support.moto_stack import AUDIENCE_ID

from . import test_audience_replace as scenario
from .test_audience_replace import PEOPLE, Replace, fault, put_leads

rp = scenario.rp  # the replace scenarios' stack: the real ASL on moto, Meta simulated


def _task_results(rp: Replace, execution: str) -> list[dict[str, Any]]:
    """Every document a task of the execution returned, in order."""
    events = rp.history(execution)
    return [
        json.loads(e["lambdaFunctionSucceededEventDetails"]["output"])
        for e in events
        if e["type"] == "LambdaFunctionSucceeded"
    ]


def test_every_state_a_task_returns_reads_back_as_the_same_json(rp: Replace) -> None:
    # Given a run that loses its session once (1870147) and waits on the new session's batch 1
    put_leads(rp.env, PEOPLE)
    fault(rp.env, error={"code": 2650, "error_subcode": 1870147, "message": "Invalid upload batch"}, after=1, times=1)
    execution = rp.wait(
        rp.start({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}, "max_concurrency": 1}),
        on_state={"WaitBeforeFirst": lambda: rp.env.sim.advance_clock(5400)},
    )
    assert execution["status"] == "SUCCEEDED", execution
    results = _task_results(rp, execution["executionArn"])
    # When each is read by the model and dumped again
    states = [r for r in results if "run" in r]
    reread = [ReplaceState.parse(r).dump() for r in states]
    # Then every state comes back as it was, and the run reached the parts the ASL routes on
    assert reread == states
    assert {"check", "stage", "pack", "send", "poll", "overflow"} <= set(states[-1])


def test_the_outcome_of_a_failed_run_reads_back_as_the_same_json(rp: Replace) -> None:
    # Given a run that Meta fails (operation_status 415) after the lock
    put_leads(rp.env, PEOPLE[:4])
    rp.env.sim.set_replace_outcome(AUDIENCE_ID, "fail")
    execution = rp.wait(rp.start({"audience_id": AUDIENCE_ID, "source": {"type": "leads"}}))
    assert execution["status"] == "FAILED", execution
    # When the fail task's result is read by the model and dumped again
    ended = _task_results(rp, execution["executionArn"])[-1]
    # Then it is unchanged
    assert Ended.parse(ended).dump() == ended
