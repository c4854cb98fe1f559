"""The capture scenario: every way a lead reaches us, and proof that each is stored exactly once.

1. a lead delivered by webhook;
2. a lead whose webhook Meta delivers twice;
3. one POST carrying two leads;
4. a lead whose fetch fails twice before it succeeds (webhook try, then the retry queue);
5. a lead whose webhook never arrives, found by the backfill.
Then: every lead stored once, FETCHED, with the answers Meta holds; no lead left pending or
parked; no raw answer in any function's log.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from leadloop_cli.stackclient import StackClient, WaitTimeout, wait_until


@dataclass
class Check:
    name: str
    passed: bool
    detail: str = ""


@dataclass
class ScenarioResult:
    title: str
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def check(self, name: str, fn: Callable[[], str | None]) -> bool:
        """Run one check; an AssertionError (incl. a wait timeout) fails it with its message."""
        try:
            detail = fn() or ""
        except AssertionError as exc:
            self.checks.append(Check(name, False, str(exc)))
            return False
        self.checks.append(Check(name, True, detail))
        return True


def person(n: int) -> list[dict[str, Any]]:
    """A made-up person's answers (the PII the logs must never show)."""
    first, last = ["Mary", "Jorge", "Aiko", "Chidi", "Sofie", "Liam", "Priya"][n % 7], f"Demo{n:03d}"
    return [
        {"name": "full_name", "values": [f"{first} {last}"]},
        {"name": "email", "values": [f"{first.lower()}.{last.lower()}@example.com"]},
        {"name": "phone_number", "values": [f"+1 (650) 253-{n:04d}"]},
        {"name": "city", "values": ["Menlo Park"]},
    ]


def run_capture(stack: StackClient) -> tuple[ScenarioResult, dict[str, list[dict[str, Any]]]]:
    """Run the scenario; also returns the answers Meta holds for each lead it created."""
    result = ScenarioResult("capture: webhook, duplicates, batching, retries, backfill")
    expected: dict[str, list[dict[str, Any]]] = {}

    def new_lead(n: int, *, deliver: bool) -> str:
        answers = person(n)
        lead_id = stack.create_lead(answers, deliver=deliver)
        expected[lead_id] = answers
        return lead_id

    single = new_lead(1, deliver=True)
    result.check("webhook lead stored", lambda: _stored(stack, [single]))

    twice = new_lead(2, deliver=False)
    stack.deliver([twice], copies=2)
    result.check("duplicate delivery stored once", lambda: _stored_once(stack, twice, notifications=2))

    pair = [new_lead(3, deliver=False), new_lead(4, deliver=False)]
    stack.deliver(pair)
    result.check("one POST with two changes stores both", lambda: _stored(stack, pair))

    flaky = new_lead(5, deliver=False)
    stack.add_fault(
        path=rf"/{flaky}$",
        status=500,
        error={"code": 2, "message": "Service temporarily unavailable", "is_transient": True},
        times=2,
    )
    stack.deliver([flaky])
    result.check("fetch failing twice is retried until stored", lambda: _retried(stack, flaky))
    stack.clear_faults()

    missed = new_lead(6, deliver=False)
    result.check("backfill finds the lead whose webhook never came", lambda: _backfilled(stack, missed))

    result.check("every lead stored exactly once with its answers", lambda: _all_exact(stack, expected))
    result.check("no lead pending or parked", lambda: _nothing_left(stack))
    result.check("no raw answer in any log line", lambda: _no_pii_in_logs(stack, expected))
    return result, expected


def _stored(stack: StackClient, ids: list[str]) -> str:
    stack.wait_for_fetched(ids, timeout=30)
    return f"{len(ids)} stored"


def _stored_once(stack: StackClient, lead_id: str, *, notifications: int) -> str:
    stack.wait_for_fetched([lead_id], timeout=30)
    wait_until(
        lambda: int((stack.lead(lead_id) or {}).get("notifications", 0)) >= notifications,
        timeout=15,
        what=f"{notifications} deliveries of the same lead",
    )
    item = stack.lead(lead_id) or {}
    return f"{item.get('notifications')} deliveries, 1 item"


def _retried(stack: StackClient, lead_id: str) -> str:
    item = stack.wait_for_fetched([lead_id], timeout=90)[lead_id]
    reads = [c for c in stack.calls() if re.search(rf"/{lead_id}$", str(c.get("path", "")))]
    failed = [c for c in reads if int(c.get("status", 0)) >= 500]
    if len(failed) < 2:
        raise AssertionError(f"expected 2 failed reads before success, saw {len(failed)}")
    return f"{len(failed)} failed reads, then stored (attempts={item.get('fetch_attempts')})"


def _backfilled(stack: StackClient, lead_id: str) -> str:
    if stack.lead(lead_id) is not None:
        raise AssertionError("the lead was stored before the backfill ran")
    report = stack.invoke("BackfillFunction", {"form_ids": [stack.seed["form_id"]]})
    if not report.get("ok"):
        raise AssertionError(f"backfill reported a problem: {report}")
    item = stack.wait_for_fetched([lead_id], timeout=5)[lead_id]
    if item.get("source") != "backfill":
        raise AssertionError(f"expected source=backfill, got {item.get('source')}")
    return f"backfill inserted {report.get('inserted')} lead(s)"


def _all_exact(stack: StackClient, expected: dict[str, list[dict[str, Any]]]) -> str:
    items = {str(i["leadgen_id"]): i for i in stack.all_leads()}
    if set(items) != set(expected):
        raise AssertionError(f"stored {len(items)} leads, expected {len(expected)}")
    for lead_id, answers in expected.items():
        item = items[lead_id]
        if item.get("status") != "FETCHED":
            raise AssertionError(f"lead {lead_id} is {item.get('status')}")
        got = [{"name": a["name"], "values": list(a["values"])} for a in item.get("field_data", [])]
        if got != answers:
            raise AssertionError(f"lead {lead_id} answers differ from what Meta holds")
    return f"{len(items)} leads, answers match"


def _nothing_left(stack: StackClient) -> str:
    try:
        wait_until(lambda: stack.queue_depth("FetchRetryQueue") == 0, timeout=20, what="FetchRetryQueue to drain")
    except WaitTimeout as exc:
        raise AssertionError(str(exc)) from None
    parked = stack.queue_depth("FetchRetryDLQ")
    if parked:
        raise AssertionError(f"{parked} notification(s) parked in FetchRetryDLQ")
    return "retry queue and DLQ empty"


def _no_pii_in_logs(stack: StackClient, expected: dict[str, list[dict[str, Any]]]) -> str:
    text = stack.log_text()
    if not text:
        raise AssertionError("the function log file is empty")
    values = {v for answers in expected.values() for a in answers for v in a["values"] if a["name"] != "city"}
    leaked = sorted(v for v in values if v in text)
    if leaked:
        raise AssertionError(f"{len(leaked)} raw answer(s) appear in the logs")
    return f"{len(text.splitlines())} log lines checked"
