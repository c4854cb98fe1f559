"""Keep every AudienceReplace execution inside Step Functions' 25,000-event history.

A Standard execution that reaches 25,000 history events fails at once, skipping its Catch: the
Cleanup task never runs and the audience stays locked. Every loop of the state machine passes
through exactly one task (a test walks the ASL to check it), and one pass writes at most
``EVENTS_PER_STEP`` events, so counting task invocations bounds the history. Waits grow with the
time already waited, so a day of Meta being busy costs about a hundred steps, not thousands.
"""

from __future__ import annotations

from typing import Any

from leadloop.replace.errors import ReplaceFailed

#: Step Functions' hard limit of events in one execution's history.
HISTORY_LIMIT = 25_000
#: One loop pass: a Lambda task (TaskStateEntered, LambdaFunctionScheduled, LambdaFunctionStarted,
#: LambdaFunctionSucceeded, TaskStateExited), then a Choice and a Wait (entered and exited each).
EVENTS_PER_STEP = 9
#: Left for retries (3 events per attempt), the Catch and the Cleanup task.
RESERVED_EVENTS = 7_000
MAX_STEPS = (HISTORY_LIMIT - RESERVED_EVENTS) // EVENTS_PER_STEP
#: The longest wait between two reads of the audience.
MAX_WAIT_SECONDS = 900
#: The task that records a failure always runs, whatever the count.
_ALWAYS = frozenset({"fail"})


def next_wait(waited: float, first: int) -> int:
    """Seconds until the next read: ``first`` at the start, then a quarter of the time waited."""
    return int(min(MAX_WAIT_SECONDS, max(first, waited // 4)))


def count_step(task: str, state: dict[str, Any]) -> int:
    """This invocation's step number; past the budget the run stops while Cleanup can still run."""
    run = state.get("run")
    steps = int(run.get("steps", 0)) + 1 if isinstance(run, dict) else 1
    if steps > MAX_STEPS and task not in _ALWAYS:
        raise ReplaceFailed(
            f"the run took {MAX_STEPS} steps, as many as Step Functions' {HISTORY_LIMIT:,}-event history "
            "allows with room to clean up; it stops here and releases the audience"
        )
    return steps
