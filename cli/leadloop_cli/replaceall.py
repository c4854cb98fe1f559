"""``leadloop replace --all``: the nightly fan-out (AllReplacesStateMachine) started now, and followed.

The fan-out replaces every audience whose routing entry has a ``replace`` block, each as a child
execution of AudienceReplaceStateMachine (README "Every audience, every night"). Following it reads
the parent's history: each child as it starts and ends, then the Summarize task's line per audience.
A failed audience makes the run fail with ``AudienceReplacesFailed``; the command then exits 1 with
the cause, which names each failed audience and why.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import date
from typing import Any

from leadloop_cli.commands import CommandError
from leadloop_cli.sfnhistory import events_after
from leadloop_cli.target import Target

STATE_MACHINE = "AllReplacesStateMachine"
#: The child task's resource type in history events (the optimized Step Functions integration).
_CHILD = "states"
STEPS = {
    "Plan": "planning: reading the routing's audiences",
    "Summarize": "recording each audience's outcome",
}


def fan_out_input(*, dry_run: bool, day: str | None) -> dict[str, Any]:
    document: dict[str, Any] = {"trigger": "cli"}
    if dry_run:
        document["dry_run"] = True
    if day:
        try:
            date.fromisoformat(day)
        except ValueError:
            raise CommandError(f"replace: --date must be YYYY-MM-DD, not {day!r}") from None
        document["date"] = day
    return document


def start(target: Target, document: dict[str, Any]) -> str:
    """Start a fan-out; returns its ARN. The name's last 8 characters end each child's name."""
    name = f"all-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:8]}"
    answer = target.client("stepfunctions").start_execution(
        stateMachineArn=target.physical_id(STATE_MACHINE), name=name, input=json.dumps(document)
    )
    return str(answer["executionArn"])


def follow(sfn: Any, execution: str, *, timeout: float, quiet: bool) -> int:
    """Print each child as it starts and ends, then one line per audience; non-zero when any failed."""
    deadline = time.monotonic() + timeout
    seen = 0
    while True:
        answer = sfn.describe_execution(executionArn=execution)
        if not quiet:
            events, seen = events_after(sfn, execution, after=seen)
            for line in progress(events):
                print(f"  {line}", flush=True)
        if answer["status"] != "RUNNING":
            break
        if time.monotonic() > deadline:
            raise CommandError(
                f"replace --all: still running after {timeout:.0f} s; follow it in the console: {execution}"
            )
        time.sleep(1.0)
    status = str(answer["status"])
    summary = summary_of(sfn, answer)
    if quiet:
        if summary is not None:
            print(json.dumps(summary, indent=2))
    elif summary is not None:
        print(describe_summary(summary))
    if status == "SUCCEEDED":
        return 0
    cause = " ".join(str(answer.get("cause") or "").split("\n"))
    raise CommandError(f"replace --all {status.lower()}: {answer.get('error', '')}: {cause}".strip())


def summary_of(sfn: Any, described: dict[str, Any]) -> dict[str, Any] | None:
    """What the Summarize task returned: the output of a run that succeeded, else from its history."""
    if described.get("status") == "SUCCEEDED" and described.get("output"):
        return dict(json.loads(described["output"]))
    events, _ = events_after(sfn, str(described["executionArn"]), after=0)
    for event in reversed(events):
        exited = event.get("stateExitedEventDetails") or {}
        if exited.get("name") == "Summarize" and exited.get("output"):
            return dict(json.loads(exited["output"]))
    return None


def progress(events: list[dict[str, Any]]) -> list[str]:
    """Lines for the steps and child executions these (new, oldest first) events show."""
    lines: list[str] = []
    for event in events:
        moment = event["timestamp"].strftime("%H:%M:%S") if hasattr(event.get("timestamp"), "strftime") else ""
        entered = event.get("stateEnteredEventDetails") or {}
        if entered.get("name") in STEPS:
            lines.append(f"{moment}  {STEPS[entered['name']]}")
        submitted = event.get("taskSubmittedEventDetails") or {}
        if submitted.get("resourceType") == _CHILD:
            arn = str(_json(submitted.get("output")).get("ExecutionArn") or "")
            lines.append(f"{moment}  started {arn.rsplit(':', 1)[-1]}")
        succeeded = event.get("taskSucceededEventDetails") or {}
        if succeeded.get("resourceType") == _CHILD:
            child = _json(succeeded.get("output"))
            lines.append(f"{moment}  {child.get('Name')}: {str(child.get('Status', 'succeeded')).lower()}")
        failed = event.get("taskFailedEventDetails") or {}
        if failed.get("resourceType") == _CHILD:
            child = _json(failed.get("cause"))
            if child.get("Name"):
                lines.append(f"{moment}  {child['Name']}: failed ({child.get('Error') or failed.get('error')})")
            else:
                lines.append(f"{moment}  a child execution could not start: {failed.get('error')}")
    return lines


def describe_summary(summary: dict[str, Any]) -> str:
    results = list(summary.get("results") or [])
    if not results:
        return (
            "replace --all: no audience in the routing has a replace block "
            '(add one under "audiences" and run leadloop routing set)'
        )
    verb = "staged (dry run)" if summary.get("dry_run") else "replaced"
    lines = [
        f"replace --all: {summary.get('succeeded', 0)} of {summary.get('audiences', 0)} audience(s) {verb}, "
        f"{summary.get('failed', 0)} failed (run {summary.get('run_id')}, "
        f"day {summary.get('date')} {summary.get('timezone')}, {summary.get('per_account')} per ad account at once)"
    ]
    for r in results:
        if r.get("status") == "failed":
            detail = f"{r.get('error')}: {r.get('cause')}"
        else:
            rows = "?" if r.get("rows") is None else f"{r['rows']:,}"
            seconds = "" if r.get("seconds") is None else f" in {r['seconds']} s"
            detail = f"{rows} rows{seconds}"
        lines.append(
            f"  {r.get('audience_id')}  act_{r.get('account_id')}  {r.get('status'):<9}  {detail}"
            f"  [{r.get('execution')}]"
        )
    return "\n".join(lines)


def _json(text: Any) -> dict[str, Any]:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
