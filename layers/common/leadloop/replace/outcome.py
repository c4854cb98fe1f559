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

State = dict[str, Any]
MAX_CAUSE_CHARS = 1000


def summary(state: State, status: str) -> dict[str, Any]:
    """Counts and timings of the run so far (flat, small, PII-free)."""
    run = state.get("run") or {}
    stage = (state.get("stage") or {}).get("progress") or {}
    packed = (state.get("pack") or {}).get("progress") or {}
    send = state.get("send") or {}
    extra = state.get("overflow") or {}
    times = dict(state.get("times") or {})
    overflow_chunks = chunkset.count(send.get("overflow"))
    result: dict[str, Any] = {
        "status": status,
        "run_id": run.get("run_id"),
        "audience_id": run.get("audience_id"),
        "source": run.get("source"),
        "dry_run": bool(run.get("dry_run")),
        "rows_read": int(stage.get("rows_read", 0)),
        "rows_staged": int(stage.get("rows_staged", 0)),
        "rows_without_identifiers": int(stage.get("rows_without_identifiers", 0)),
        "cells_rejected": dict(stage.get("cells_rejected") or {}),
        "rows_unique": int(packed.get("rows_unique", 0)),
        "duplicates": int(packed.get("duplicates", 0)),
        "chunks": int(run.get("chunks", 0)),
        "replace_calls": int(send.get("calls", 0)),
        "replace_received": int(send.get("received", 0)),
        "replace_invalid": int(send.get("invalid", 0)),
        "overflow_chunks": overflow_chunks,
        "overflow_calls": int(extra.get("calls", 0)),
        "overflow_received": int(extra.get("received", 0)),
        "overflow_invalid": int(extra.get("invalid", 0)),
        "session_restarts": int(send.get("restarts", 0)),
        "times": times,
    }
    started: Any = times.get("started")
    if started is not None:
        result["seconds_total"] = int(times.get("finished", started)) - int(started)
    if times.get("session_opened") and times.get("session_closed"):
        result["seconds_in_window"] = int(times["session_closed"]) - int(times["session_opened"])
    return result


def finish(state: State, deps: ReplaceDeps, time_left: Callable[[], float]) -> State:
    run = state["run"]
    state["times"]["finished"] = int(deps.clock())
    status = "dry_run" if run.get("dry_run") else "succeeded"
    outcome = summary(state, status)
    _close(run, deps, outcome)
    return {"outcome": outcome}


def fail(state: State, deps: ReplaceDeps, time_left: Callable[[], float]) -> State:
    """Catch-all: release the lock if this run holds it and record why the run stopped."""
    run = state.get("run") or {}
    error = state.get("error") or {}
    state.setdefault("times", {})["finished"] = int(deps.clock())
    outcome = summary(state, "failed")
    outcome["error"] = str(error.get("Error") or "Unknown")
    outcome["cause"] = _cause(error.get("Cause"))
    if run.get("audience_id") and run.get("run_id"):
        _close(run, deps, outcome)
    else:
        logger.error("replace rejected before it started", extra={"error": outcome["error"]})
    return {"outcome": outcome}


def _close(run: dict[str, Any], deps: ReplaceDeps, outcome: dict[str, Any]) -> None:
    audience_id, run_id = str(run["audience_id"]), str(run["run_id"])
    released = deps.records.release_lock(audience_id, run_id) if run.get("locked") else False
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
