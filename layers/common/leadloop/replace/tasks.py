"""The one entry point of AudienceReplaceFunction: ``{"task": NAME, "state": {...}}`` → new state.

Each task returns the whole (small) state document; the state machine routes on its flags
(``check.ready``, ``stage.done``, ``send.done`` …). Task names are the contract with the ASL. Every
invocation is counted in ``run.steps`` so the execution's history stays bounded (:mod:`history`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from leadloop.replace import fanout, history, outcome, prepare, session
from leadloop.replace.deps import ReplaceDeps
from leadloop.replace.errors import InvalidReplaceInput

Task = Callable[[dict[str, Any], ReplaceDeps, Callable[[], float]], dict[str, Any]]

TASKS: Mapping[str, Task] = {
    "begin": prepare.begin,
    "check": prepare.check,
    "lock": prepare.lock,
    "stage": prepare.stage,
    "pack": prepare.pack,
    "send_first": session.send_first,
    "send": session.send_middle,
    "new_session": session.new_session,
    "close": session.close,
    "poll": session.poll,
    "overflow": session.overflow,
    "finish": outcome.finish,
    "fail": outcome.fail,
}
#: The tasks of AllReplacesStateMachine, the nightly fan-out (:mod:`leadloop.replace.fanout`).
FANOUT_TASKS: Mapping[str, Task] = {
    "plan": fanout.plan,
    "summarize": fanout.summarize,
}


def run_task(event: Any, deps: ReplaceDeps, time_left: Callable[[], float]) -> dict[str, Any]:
    name = str(event.get("task")) if isinstance(event, dict) else ""
    task = TASKS.get(name) or FANOUT_TASKS.get(name)
    if task is None or not isinstance(event.get("state"), dict):
        known = sorted([*TASKS, *FANOUT_TASKS])
        raise InvalidReplaceInput(f"a replace task needs {{'task': one of {known}, 'state': {{...}}}}")
    steps = history.count_step(name, event["state"])
    state = task(event["state"], deps, time_left)
    if isinstance(state.get("run"), dict):
        state["run"]["steps"] = steps
    return state
