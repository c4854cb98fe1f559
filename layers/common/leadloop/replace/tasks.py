"""The one entry point of AudienceReplaceFunction: ``{"task": NAME, "state": {...}}`` → new state.

Each task returns the whole (small) state document; the state machine routes on its flags
(``check.ready``, ``stage.done``, ``send.done`` …). Task names are the contract with the ASL. A
replace task's state is validated as the model of the phase it runs in (:mod:`leadloop.replace.state`)
and dumped when it returns. Every invocation is counted in ``run.steps`` so the execution's history
stays bounded (:mod:`history`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from leadloop.replace import fanout, history, outcome, prepare, session
from leadloop.replace.deps import ReplaceDeps
from leadloop.replace.errors import InvalidReplaceInput
from leadloop.replace.state import (
    BeginInput,
    Closed,
    Document,
    Failure,
    Locked,
    Packed,
    Processed,
    ReplaceState,
    Staged,
)

TimeLeft = Callable[[], float]
#: The nightly fan-out's tasks keep their own documents (:mod:`leadloop.replace.fanout`).
RawTask = Callable[[dict[str, Any], ReplaceDeps, TimeLeft], dict[str, Any]]


@dataclass(frozen=True)
class Task[S]:
    """One replace task: how its input is read, and what it does with it."""

    parse: Callable[[object], S]
    run: Callable[[S, ReplaceDeps, TimeLeft], Document]


TASKS: Mapping[str, Task[Any]] = {
    "begin": Task(BeginInput.parse, prepare.begin),
    "check": Task(ReplaceState.parse, prepare.check),
    "lock": Task(ReplaceState.parse, prepare.lock),
    "stage": Task(Locked.parse, prepare.stage),
    "pack": Task(Staged.parse, prepare.pack),
    "send_first": Task(Packed.parse, session.send_first),
    "send": Task(Packed.parse, session.send_middle),
    "new_session": Task(Packed.parse, session.new_session),
    "close": Task(Packed.parse, session.close),
    "poll": Task(Closed.parse, session.poll),
    "overflow": Task(Processed.parse, session.overflow),
    "finish": Task(ReplaceState.parse, outcome.finish),
    "fail": Task(Failure.parse, outcome.fail),
}
#: The tasks of AllReplacesStateMachine, the nightly fan-out (:mod:`leadloop.replace.fanout`).
FANOUT_TASKS: Mapping[str, RawTask] = {
    "plan": fanout.plan,
    "summarize": fanout.summarize,
}


def run_task(event: Any, deps: ReplaceDeps, time_left: TimeLeft) -> dict[str, Any]:
    name = str(event.get("task")) if isinstance(event, dict) else ""
    if name not in {*TASKS, *FANOUT_TASKS} or not isinstance(event.get("state"), dict):
        known = sorted([*TASKS, *FANOUT_TASKS])
        raise InvalidReplaceInput(f"a replace task needs {{'task': one of {known}, 'state': {{...}}}}")
    steps = history.count_step(name, event["state"])
    if name in FANOUT_TASKS:
        return FANOUT_TASKS[name](event["state"], deps, time_left)
    task = TASKS[name]
    result = task.run(task.parse(event["state"]), deps, time_left)
    if isinstance(result, ReplaceState):
        result.run.steps = steps
    return result.dump()
