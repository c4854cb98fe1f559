"""An AudienceReplace execution cannot outgrow Step Functions' 25,000-event history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from leadloop.replace import history, tasks
from leadloop.replace.errors import ReplaceFailed
from leadloop.replace.history import EVENTS_PER_STEP, HISTORY_LIMIT, MAX_STEPS, MAX_WAIT_SECONDS, next_wait
from leadloop.replace.state import Failure, ReplaceState

from . import states as replace_states

ASL = Path(__file__).resolve().parents[3] / "infra" / "statemachines" / "audience_replace.asl.json"
DAY = 86_400


def _polls_to_wait(total: int, first: int) -> int:
    waited = polls = 0
    while waited < total:
        waited += next_wait(waited, first)
        polls += 1
    return polls


@pytest.mark.parametrize("first", [5, 30, 60, 900])
def test_a_day_of_waiting_costs_a_bounded_number_of_steps(first: int):
    assert _polls_to_wait(DAY, first) <= 130
    # Busy before the lock (6 h), busy on batch 1 (6 h), processing (24 h), all in one run:
    worst = 2 * _polls_to_wait(6 * 3600, first) + _polls_to_wait(DAY, first)
    assert worst * EVENTS_PER_STEP < HISTORY_LIMIT // 4


def test_waits_start_at_the_poll_interval_and_grow_to_a_ceiling():
    assert next_wait(0, 60) == 60
    assert next_wait(600, 60) == 150
    assert next_wait(10 * DAY, 60) == MAX_WAIT_SECONDS
    waits = [next_wait(w, 5) for w in range(0, 20_000, 500)]
    assert waits == sorted(waits)


def test_the_step_budget_leaves_room_for_retries_and_cleanup():
    assert MAX_STEPS * EVENTS_PER_STEP + history.RESERVED_EVENTS <= HISTORY_LIMIT


class NoDeps:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the task ran and used deps.{name}")


def test_past_the_budget_a_task_stops_the_run(monkeypatch: pytest.MonkeyPatch):
    # Given a run that has taken every step its history allows
    state = _after_steps(MAX_STEPS)
    # When one more task is asked for
    # Then it stops the run before doing anything
    with pytest.raises(ReplaceFailed, match="25,000-event history"):
        tasks.run_task({"task": "check", "state": state}, NoDeps(), lambda: 900.0)  # type: ignore[arg-type]


def test_past_the_budget_cleanup_still_runs_and_counts_its_step(monkeypatch: pytest.MonkeyPatch):
    # Given a run that has taken every step its history allows, and a fail task that records what it got
    state = _after_steps(MAX_STEPS)
    seen: list[int] = []

    def fail(failure: Failure, d: Any, t: Any) -> ReplaceState:
        assert failure.state is not None
        seen.append(failure.state.run.steps)
        return failure.state

    monkeypatch.setitem(tasks.TASKS, "fail", tasks.Task(Failure.parse, fail))
    # When the cleanup task runs
    done = tasks.run_task({"task": "fail", "state": state}, NoDeps(), lambda: 900.0)  # type: ignore[arg-type]
    # Then it ran on the state as it was, and its step is counted
    assert seen == [MAX_STEPS]
    assert done["run"]["steps"] == MAX_STEPS + 1


def test_each_task_counts_one_step(monkeypatch: pytest.MonkeyPatch):
    # Given a run at step 41 and a poll task that changes nothing
    monkeypatch.setitem(tasks.TASKS, "poll", tasks.Task(ReplaceState.parse, lambda s, d, t: s))
    state = _after_steps(41)
    # When the task runs
    done = tasks.run_task({"task": "poll", "state": state}, NoDeps(), lambda: 1.0)  # type: ignore[arg-type]
    # Then the run is at step 42
    assert done["run"]["steps"] == 42


def _after_steps(steps: int) -> dict[str, Any]:
    state = replace_states.checked()
    state["run"]["steps"] = steps
    return state


# ---------------------------------------------------------------- the ASL keeps the premise true
def _edges(states: dict[str, Any]) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name, state in states.items():
        targets = {state[k] for k in ("Next", "Default") if k in state}
        targets |= {c["Next"] for c in state.get("Choices", [])}
        edges[name] = targets & set(states)
    return edges


def _cycles_without_a_task(states: dict[str, Any]) -> list[list[str]]:
    """Cycles through non-Task states only (each would loop without counting a step)."""
    edges = _edges(states)
    free = {n for n, s in states.items() if s["Type"] != "Task"}
    found: list[list[str]] = []

    def walk(path: list[str]) -> None:
        for target in sorted(edges[path[-1]]):
            if target == path[0]:
                found.append(path)
            elif target in free and target not in path:
                walk([*path, target])

    for start in sorted(free):
        walk([start])
    return found


def test_every_loop_of_the_state_machine_runs_a_task():
    states = json.loads(ASL.read_text())["States"]
    assert _cycles_without_a_task(states) == []
    # A loop pass is at most one Task, one Choice and one Wait (EVENTS_PER_STEP counts those).
    for name, state in states.items():
        if state["Type"] == "Wait":
            [after] = _edges(states)[name]
            assert states[after]["Type"] == "Task", name
        assert state["Type"] in {"Task", "Choice", "Wait", "Succeed", "Fail"}, name


def test_the_cycle_finder_finds_a_task_free_loop():
    states = {"A": {"Type": "Wait", "Next": "B"}, "B": {"Type": "Choice", "Choices": [{"Next": "A"}]}}
    assert sorted(_cycles_without_a_task(states)) == [["A", "B"], ["B", "A"]]
