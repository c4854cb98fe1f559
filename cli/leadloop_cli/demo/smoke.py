"""The smoke scenario: ``leadloop smoke``'s run on the local stack, last, as after a deploy.

A Meta test lead on the routed form must be stored through its webhook, and the run must leave
nothing behind: the lead a tombstone, no test lead at Meta, the audience's members as they were
(the test person reached it and left it again).
"""

from __future__ import annotations

from typing import Any

from leadloop_cli.demo.capture import ScenarioResult
from leadloop_cli.smoke.result import SmokeResult
from leadloop_cli.smoke.runner import pick_route, run_smoke
from leadloop_cli.smoke.wiring import build_deps
from leadloop_cli.stackclient import StackClient
from leadloop_cli.stackconfig import StackConfig
from leadloop_cli.target import local_target

TIMEOUT_SECONDS = 60.0


def run_smoke_scenario(stack: StackClient) -> ScenarioResult:
    result = ScenarioResult("smoke: leadloop smoke on the local stack")
    config = StackConfig.load(local_target(stack.info))
    route = pick_route(config.routing(), None)
    audience_id = str(stack.seed["audience_id"])
    before = _members(stack, audience_id)
    deps = build_deps(config, config.credentials(), route.page_id, sim_url=stack.graph_url)
    outcome = run_smoke(deps, form_id=route.form_id, timeout=TIMEOUT_SECONDS)
    result.check("a Meta test lead arrives through the webhook", lambda: _stored(outcome))
    result.check(
        "the test lead leaves LeadsTable, the audience and Meta", lambda: _cleaned(stack, outcome, audience_id, before)
    )
    return result


def _members(stack: StackClient, audience_id: str) -> list[list[Any]]:
    return sorted(stack.sim("GET", f"/_sim/audiences/{audience_id}")["members"])


def _stored(outcome: SmokeResult) -> str:
    if outcome.seconds_to_stored is None or outcome.origin != "webhook":
        raise AssertionError(outcome.reason or f"stored by {outcome.origin}, not the webhook")
    return f"test lead stored {outcome.seconds_to_stored:.2f}s after it was created"


def _cleaned(stack: StackClient, outcome: SmokeResult, audience_id: str, before: list[list[Any]]) -> str:
    if not outcome.cleaned_up or outcome.lead_id is None:
        raise AssertionError(outcome.reason or "no test lead was created")
    item = stack.lead(outcome.lead_id) or {}
    if item.get("status") != "FORGOTTEN" or "field_data" in item:
        raise AssertionError(f"the lead is {item.get('status')} in LeadsTable, not a tombstone")
    at_meta = stack.sim("GET", f"/_sim/leads?form_id={outcome.form_id}")["data"]
    test_leads = [lead for lead in at_meta if lead["test_lead"]]
    if test_leads:
        raise AssertionError(f"{len(test_leads)} test lead(s) left at Meta")
    ops = [s["op"] for s in stack.sim("GET", f"/_sim/audiences/{audience_id}")["sessions"]]
    if _members(stack, audience_id) != before or "remove" not in ops:
        raise AssertionError("the audience's members changed")
    return "tombstone in LeadsTable, no test lead at Meta, the audience as before"
