"""``leadloop doctor --local``: green on a fresh stack; each broken precondition named with what to do."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from leadloop_cli.demo.capture import person
from leadloop_cli.stackclient import StackClient
from tests.support.cli import leadloop_cli


@dataclass(frozen=True)
class Precondition:
    name: str
    broken: Callable[[StackClient], object]
    restored: Callable[[StackClient], object]
    line: str  # words of the table line naming the failing check
    action: str  # words of what to do


def page(stack: StackClient) -> str:
    return str(stack.seed["page_id"])


def token_state(stack: StackClient, **state: object) -> None:
    stack.sim("POST", f"/_sim/tokens/{stack.info['page_access_token']}/state", state)


PRECONDITIONS = [
    Precondition(
        "dead token",
        lambda s: token_state(s, is_valid=False),
        lambda s: token_state(s, is_valid=True),
        "token          FAIL",
        "issue a new long-lived",
    ),
    Precondition(
        "page dropped the app",
        lambda s: s.sim("POST", f"/_sim/pages/{page(s)}/subscribed_apps", {"subscribed_fields": []}),
        lambda s: s.sim("POST", f"/_sim/pages/{page(s)}/subscribed_apps", {"subscribed_fields": ["leadgen"]}),
        "subscription   FAIL",
        "subscribed_fields=leadgen",
    ),
    Precondition(
        "leads access withdrawn",
        lambda s: s.sim("POST", f"/_sim/pages/{page(s)}/leads_access", {"granted": False}),
        lambda s: s.sim("POST", f"/_sim/pages/{page(s)}/leads_access", {"granted": True}),
        "lead_read      FAIL",
        "Business Settings → Integrations → Leads Access",
    ),
    Precondition(
        "audience flagged",
        lambda s: s.sim("POST", f"/_sim/audiences/{s.seed['audience_id']}/status", {"code": 471}),
        lambda s: s.sim("POST", f"/_sim/audiences/{s.seed['audience_id']}/status", {"code": 200}),
        "audience       FAIL",
        "appeal",
    ),
]


def test_a_fresh_stack_is_all_green(stack: StackClient):
    result = leadloop_cli(stack, "doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks pass" in result.stdout
    assert str(stack.info["page_access_token"]) not in result.stdout


@pytest.mark.parametrize("pre", PRECONDITIONS, ids=[p.name for p in PRECONDITIONS])
def test_each_broken_precondition_is_named_with_what_to_do(stack: StackClient, pre: Precondition):
    pre.broken(stack)
    try:
        result = leadloop_cli(stack, "doctor")
    finally:
        pre.restored(stack)
    assert result.returncode == 1
    assert pre.line in result.stdout and pre.action in result.stdout, result.stdout
    assert "check(s) failing" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert str(stack.info["page_access_token"]) not in result.stdout + result.stderr
    assert leadloop_cli(stack, "doctor").returncode == 0  # restored: green again


def test_json_and_one_page(stack: StackClient):
    result = leadloop_cli(stack, "doctor", "--json", "--page-id", page(stack), "--check", "token")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["partial"] is True and {f["check"] for f in report["findings"]} == {"token"}


def test_development_mode_and_an_expiring_token_are_found(stack: StackClient):
    lead = stack.create_lead(person(8101), deliver=True)
    stack.wait_for_fetched([lead], timeout=30)
    stack.sim("POST", "/_sim/app", {"mode": "development"})
    try:
        result = leadloop_cli(stack, "doctor")
    finally:
        stack.sim("POST", "/_sim/app", {"mode": "live"})
    assert result.returncode == 1 and "lead_read      FAIL" in result.stdout
    assert "switch it to Live" in result.stdout

    token_state(stack, expires_at=int(time.time()) + 5 * 86400)
    try:
        result = leadloop_cli(stack, "doctor")
    finally:
        token_state(stack, expires_at=0)
    assert result.returncode == 0  # a warning, not a failure
    assert "token          WARN" in result.stdout and "expires in" in result.stdout


def test_a_lead_only_the_backfill_found_is_reported_as_webhook_drift(stack: StackClient):
    lead = stack.create_lead(person(8201), deliver=False)
    backfill = leadloop_cli(stack, "backfill", "--form-id", str(stack.seed["form_id"]))
    assert backfill.returncode == 0, backfill.stderr
    assert stack.lead(lead)["source"] == "backfill"
    result = leadloop_cli(stack, "doctor", "--check", "webhook_drift")
    assert result.returncode == 0
    assert "webhook_drift  WARN" in result.stdout and "arrived only through the backfill" in result.stdout
