"""The nightly fan-out: every audience the routing asks to replace, one child execution each.

``AllReplacesStateMachine`` (started by the nightly schedule, ``leadloop replace --all`` or the
console) calls two tasks of AudienceReplaceFunction:

* ``plan`` reads the routing's ``audiences`` section, resolves dated CSV keys to the run's day in the
  schedule's timezone (``REPLACE_TIMEZONE``), validates each audience's input exactly as the replace
  will, names each child execution ``<audience>-<yyyymmdd-hhmm>-<run>`` (local time of the run) and
  groups the audiences by ad account. The machine then maps over the accounts, all at once, and
  within an account over its audiences ``REPLACE_ACCOUNT_CONCURRENCY`` at a time (Meta's audience
  limits are per ad account), each a child execution of AudienceReplaceStateMachine whose failure is
  caught so the others go on.
* ``summarize`` turns what the children did into one line per audience (outcome, rows, seconds,
  error and cause), records it in StateTable (``audience#{id}`` / ``replace#scheduled``, which
  ``leadloop audience status`` shows), logs each failed audience by id, and emits ``ReplaceFailed``
  for an audience whose child could not record its own outcome (it was never started, or refused its
  input), so the dashboard counts every audience once. When any audience failed, the machine then
  fails with ``AudienceReplacesFailed`` and a cause naming each failed audience and why.

Input: ``{"trigger"?: "schedule"|"cli"|..., "dry_run"?: false, "date"?: "YYYY-MM-DD"}``; ``date``
resolves dated keys for another day (to re-run a missed night). A dry run records nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from aws_lambda_powertools.metrics import single_metric
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadloop import dated
from leadloop.observability import MetricUnit, logger, metrics
from leadloop.replace.deps import ReplaceDeps
from leadloop.replace.errors import InvalidReplaceInput
from leadloop.replace.request import STARTED_BY, S3CsvSource, parse_request
from leadloop.routing import AudienceRoute
from leadloop.validation import describe_problems

State = dict[str, Any]
#: The Fail state's error when any audience failed.
FAILED_ERROR = "AudienceReplacesFailed"
#: Step Functions caps a Fail state's cause at 32,768 characters; each audience's share is bounded.
MAX_CAUSE_CHARS = 30_000
MAX_AUDIENCE_CAUSE_CHARS = 300
_NAME_CHARS = re.compile(r"[^A-Za-z0-9]")


class FanOutRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Who started it: the schedule's input says "schedule", the CLI "cli"; anything else is "console".
    trigger: str = Field(default="console", pattern=r"^[a-z][a-z0-9_-]{0,39}$")
    dry_run: bool = False
    #: Resolve dated keys for this day instead of the run's own (a missed night run later).
    date: dt.date | None = None


def parse_fanout(document: object) -> FanOutRequest:
    try:
        return FanOutRequest.model_validate(document if document is not None else {})
    except ValidationError as exc:
        raise InvalidReplaceInput(f"invalid fan-out input: {describe_problems(exc)}") from None


def child_name(audience_id: str, local: datetime, parent_name: str) -> str:
    """``<audience>-<yyyymmdd-hhmm>-<last 8 letters or digits of the parent's name>`` (≤ 80 characters)."""
    suffix = _NAME_CHARS.sub("", parent_name)[-8:] or "run"
    return f"{audience_id}-{local.strftime('%Y%m%d-%H%M')}-{suffix}"[:80]


def plan(state: State, deps: ReplaceDeps, time_left: Callable[[], float]) -> State:
    """The accounts and, in each, the audiences to replace with their child execution's name and input."""
    request = parse_fanout(state.get("input"))
    s = deps.settings
    zone = dated.timezone(s.replace_timezone)
    started = _moment(state.get("started")) or datetime.fromtimestamp(deps.clock(), UTC)
    local = started.astimezone(zone)
    day = request.date or local.date()
    parent = str(state.get("execution_name") or "")
    parent_id = str(state.get("execution_id") or "")
    accounts: dict[str, list[dict[str, Any]]] = {}
    for audience_id, route in deps.routing().replaced_audiences().items():
        document = _child_input(audience_id, route, day, dry_run=request.dry_run)
        parse_request(document)  # a resolved key must still be a valid replace input
        if parent_id:
            document[STARTED_BY] = parent_id
        accounts.setdefault(route.account_id, []).append(
            {
                "audience_id": audience_id,
                "account_id": route.account_id,
                "name": child_name(audience_id, local, parent),
                "source": _describe_source(document["source"]),
                "input": document,
            }
        )
    fanout = {
        "run_id": parent,
        "trigger": request.trigger,
        "dry_run": request.dry_run,
        "date": day.isoformat(),
        "timezone": s.replace_timezone,
        "started": int(started.timestamp()),
        "audiences": sum(len(items) for items in accounts.values()),
        "accounts": len(accounts),
        "per_account": s.replace_account_concurrency,
    }
    logger.info("replace fan-out planned", extra=fanout)
    return {
        "fanout": fanout,
        "accounts": [
            {"account_id": account, "max_concurrency": s.replace_account_concurrency, "audiences": items}
            for account, items in accounts.items()
        ],
    }


def _child_input(audience_id: str, route: AudienceRoute, day: date, *, dry_run: bool) -> dict[str, Any]:
    assert route.replace is not None
    source = route.replace.source
    if isinstance(source, S3CsvSource) and dated.has_tokens(source.key):
        source = source.model_copy(update={"key": dated.resolve_key(source.key, day)})
    document: dict[str, Any] = {"audience_id": audience_id, "source": source.model_dump(mode="json", exclude_none=True)}
    if route.replace.max_concurrency:
        document["max_concurrency"] = route.replace.max_concurrency
    if dry_run:
        document["dry_run"] = True
    return document


def _describe_source(source: dict[str, Any]) -> str:
    if source.get("type") == "s3_csv":
        return f"s3://{source['bucket']}/{source['key']}"
    forms = source.get("form_ids")
    return "leads" + (f" of forms {','.join(forms)}" if forms else "")


def _moment(raw: Any) -> datetime | None:
    """``$$.Execution.StartTime`` (ISO 8601, ``Z`` or an offset) as an aware datetime."""
    if not isinstance(raw, str) or not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def summarize(state: State, deps: ReplaceDeps, time_left: Callable[[], float]) -> State:
    """One result per audience, recorded and counted; the machine fails after this when any failed."""
    fanout = dict(state.get("fanout") or {})
    items = [item for account in state.get("results") or [] for item in (account or []) if isinstance(item, dict)]
    now = int(deps.clock())
    results = [_result(item, deps) for item in items]
    failed = [r for r in results if r["status"] == "failed"]
    for result in results:
        if not fanout.get("dry_run"):
            _record(result, fanout, deps, now=now)
        if result["status"] == "failed":
            if not result.pop("recorded_by_child"):
                _emit_failed(result["audience_id"])
            logger.error(
                "scheduled replace failed",
                extra={k: result.get(k) for k in ("audience_id", "account_id", "execution", "error", "cause")}
                | {"run_id": fanout.get("run_id")},
            )
        else:
            result.pop("recorded_by_child")
    summary: State = {
        **{k: fanout.get(k) for k in ("run_id", "trigger", "dry_run", "date", "timezone", "per_account")},
        "audiences": len(results),
        "succeeded": len(results) - len(failed),
        "failed": len(failed),
        "results": results,
    }
    log = logger.error if failed else logger.info
    log("replace fan-out finished", extra={k: v for k, v in summary.items() if k != "results"})
    if failed:
        summary["error"] = FAILED_ERROR
        summary["cause"] = _fail_cause(failed, len(results))
    return summary


def _result(item: dict[str, Any], deps: ReplaceDeps) -> dict[str, Any]:
    audience_id = str(item.get("audience_id"))
    name = str(item.get("name") or "")
    latest = deps.records.latest_outcome(audience_id) or {}
    own = latest if latest.get("run_id") == name else {}
    result: dict[str, Any] = {
        "audience_id": audience_id,
        "account_id": item.get("account_id"),
        "execution": name,
        "source": item.get("source"),
        "status": "failed" if "error" in item else str(own.get("status") or "succeeded"),
        "rows": int(own["rows_unique"]) if "rows_unique" in own else None,
        "seconds": int(own["seconds_total"]) if "seconds_total" in own else None,
        "error": None,
        "cause": None,
        "recorded_by_child": bool(own),
    }
    if "error" in item:
        error, cause = child_failure(item.get("error") or {})
        result["error"] = str(own.get("error") or error)
        result["cause"] = str(own.get("cause") or cause)[:MAX_AUDIENCE_CAUSE_CHARS]
    return result


def child_failure(error: dict[str, Any]) -> tuple[str, str]:
    """The child's own error and cause from a caught ``startExecution.sync:2`` failure.

    A child that failed makes the task fail ``States.TaskFailed`` with the child's ``DescribeExecution``
    as its cause (JSON text); a start that was refused fails with the API's error and message.
    """
    name = str(error.get("Error") or "Unknown")
    cause = str(error.get("Cause") or "")
    try:
        described = json.loads(cause)
    except ValueError:
        described = None
    if isinstance(described, dict):
        child_error = described.get("Error") or described.get("error")
        child_cause = described.get("Cause") or described.get("cause")
        status = described.get("Status") or described.get("status")
        if child_error or child_cause:
            return str(child_error or name), str(child_cause or "")
        if status:
            return f"Execution{str(status).title().replace('_', '')}", f"the child execution ended {status}"
    return name, cause


def _record(result: dict[str, Any], fanout: dict[str, Any], deps: ReplaceDeps, *, now: int) -> None:
    record = {
        "run_id": fanout.get("run_id"),
        "trigger": fanout.get("trigger"),
        "date": fanout.get("date"),
        "started": fanout.get("started"),
        "finished": now,
    } | {k: v for k, v in result.items() if k not in ("audience_id", "recorded_by_child")}
    deps.records.write_scheduled(result["audience_id"], record, now=now)


def _emit_failed(audience_id: str) -> None:
    with single_metric(name="ReplaceFailed", unit=MetricUnit.Count, value=1, namespace=metrics.namespace) as metric:
        metric.add_dimension(name="audience_id", value=audience_id)


def _fail_cause(failed: list[dict[str, Any]], total: int) -> str:
    lines = [f"{len(failed)} of {total} audience(s) failed:"]
    lines += [f"{r['audience_id']} ({r['execution']}): {r['error']}: {r['cause']}" for r in failed]
    text = "\n".join(lines)
    return text if len(text) <= MAX_CAUSE_CHARS else text[: MAX_CAUSE_CHARS - 1] + "…"
