"""The end of a run, succeeded or not: release the lock, record the outcome, emit metrics.

The outcome is what an operator reads (``leadloop replace --follow``, ``leadloop audience
status``): counts at each step, timings, and for a failure the error class and Meta's codes. It is
also the execution's output, so the console shows it; it never holds row data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.metrics import single_metric

from leadloop.observability import MetricUnit, logger, metrics
from leadloop.replace import chunkset
from leadloop.replace.deps import ReplaceDeps
from leadloop.replace.pack import PackProgress
from leadloop.replace.stage import StageProgress
from leadloop.replace.state import Ended, Failure, OverflowState, ReplaceState, RunParams, SendState

MAX_CAUSE_CHARS = 1000
_NO_OVERFLOW = OverflowState(next=0, done=True, rows=0, received=0, invalid=0)


def summary(state: ReplaceState | None, status: str, *, finished: int) -> dict[str, Any]:
    """Counts and timings of the run so far (flat, small, PII-free); ``state`` is None before ``begin``."""
    times: dict[str, Any] = {"finished": finished}
    if state is not None:
        state.times.finished = finished
        times = state.times.model_dump(mode="json", exclude_unset=True)
    run = state.run if state is not None else None
    # A part the run never reached counts zero everywhere.
    stage = state.stage.progress if state is not None and state.stage is not None else StageProgress()
    packed = state.pack.progress if state is not None and state.pack is not None else PackProgress()
    send = state.send if state is not None and state.send is not None else SendState(session_id=0)
    extra = state.overflow if state is not None and state.overflow is not None else _NO_OVERFLOW
    result: dict[str, Any] = {
        "status": status,
        "run_id": run.run_id if run else None,
        "audience_id": run.audience_id if run else None,
        "source": run.source if run else None,
        "dry_run": run.dry_run if run else False,
        "rows_read": stage.rows_read,
        "rows_staged": stage.rows_staged,
        "rows_without_identifiers": stage.rows_without_identifiers,
        "cells_rejected": dict(stage.cells_rejected),
        "rows_unique": packed.rows_unique,
        "duplicates": packed.duplicates,
        "chunks": run.chunks if run else 0,
        "replace_calls": send.calls,
        "replace_received": send.received,
        "replace_invalid": send.invalid,
        "overflow_chunks": chunkset.count(send.overflow),
        "overflow_calls": extra.calls,
        "overflow_received": extra.received,
        "overflow_invalid": extra.invalid,
        "session_restarts": send.restarts,
        "times": times,
    }
    started = times.get("started")
    if started is not None:
        result["seconds_total"] = finished - int(started)
    if times.get("session_opened") and times.get("session_closed"):
        result["seconds_in_window"] = int(times["session_closed"]) - int(times["session_opened"])
    return result


def finish(state: ReplaceState, deps: ReplaceDeps, time_left: Callable[[], float]) -> Ended:
    status = "dry_run" if state.run.dry_run else "succeeded"
    outcome = summary(state, status, finished=int(deps.clock()))
    _close(state.run, deps, outcome)
    return Ended(outcome=outcome)


def fail(failure: Failure, deps: ReplaceDeps, time_left: Callable[[], float]) -> Ended:
    """Catch-all: release the lock if this run holds it and record why the run stopped."""
    outcome = summary(failure.state, "failed", finished=int(deps.clock()))
    outcome["error"] = failure.error.name or "Unknown"
    outcome["cause"] = _cause(failure.error.cause)
    if failure.state is not None:
        _close(failure.state.run, deps, outcome)
    elif failure.run is not None:
        run = failure.run
        outcome |= {"run_id": run.run_id, "audience_id": run.audience_id, "source": run.source}
        outcome |= {"dry_run": run.dry_run, "chunks": run.chunks}
        _close(run, deps, outcome)
    else:
        logger.error("replace rejected before it started", extra={"error": outcome["error"]})
    return Ended(outcome=outcome)


def _close(run: RunParams, deps: ReplaceDeps, outcome: dict[str, Any]) -> None:
    audience_id, run_id = run.audience_id, run.run_id
    released = deps.records.release_lock(audience_id, run_id) if run.locked else False
    outcome["lock_released"] = released
    started = int((outcome.get("times") or {}).get("started") or deps.clock())
    deps.records.write_outcome(audience_id, run_id, started, outcome)
    _emit(audience_id, outcome)
    log = logger.info if outcome["status"] != "failed" else logger.error
    log("replace finished", extra={k: v for k, v in outcome.items() if k != "cells_rejected"})


def _emit(audience_id: str, outcome: dict[str, Any]) -> None:
    counts = {
        "ReplaceRowsStaged": outcome["rows_staged"],
        "ReplaceRowsUnique": outcome["rows_unique"],
        "ReplaceRowsReceived": outcome["replace_received"],
        "ReplaceRowsInvalid": outcome["replace_invalid"] + outcome["overflow_invalid"],
        "ReplaceOverflowChunks": outcome["overflow_chunks"],
        "ReplaceSucceeded" if outcome["status"] != "failed" else "ReplaceFailed": 1,
    }
    for name, value in counts.items():
        with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=metrics.namespace) as metric:
            metric.add_dimension(name="audience_id", value=audience_id)


def _cause(raw: Any) -> str:
    """Step Functions passes a Lambda error as JSON text: keep its message, bounded."""
    text = str(raw or "")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get("errorMessage"):
        text = str(parsed["errorMessage"])
    return text[:MAX_CAUSE_CHARS]
