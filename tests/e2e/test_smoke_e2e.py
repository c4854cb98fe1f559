"""``leadloop smoke --local``: a Meta test lead arrives through the webhook on a fresh stack, and the
run fails with the cause named when the Page's leadgen install is gone; both runs leave nothing behind."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leadloop_cli.stackclient import StackClient
from tests.support.cli import leadloop_cli

pytestmark = pytest.mark.e2e


def smoke(stack: StackClient, *args: str) -> tuple[int, dict[str, Any], str]:
    done = leadloop_cli(stack, "smoke", "--json", *args, timeout=300)
    assert str(stack.info["page_access_token"]) not in done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout + done.stderr  # one JSON object, nothing else
    return done.returncode, json.loads(lines[0]), done.stderr


def assert_left_nothing_behind(stack: StackClient, lead_id: str) -> None:
    item = stack.lead(lead_id)
    assert item is not None and item["status"] == "FORGOTTEN" and "field_data" not in item  # answers gone
    at_meta = stack.sim("GET", f"/_sim/leads?form_id={stack.seed['form_id']}")["data"]
    assert [lead for lead in at_meta if lead["test_lead"]] == []
    assert stack.sim("GET", f"/_sim/audiences/{stack.seed['audience_id']}")["members"] == []


def test_a_fresh_stack_passes_and_the_test_person_leaves_the_audience(stack: StackClient):
    code, result, stderr = smoke(stack)

    assert code == 0, stderr
    assert result["ok"] is True and result["reason"] == ""
    assert result["form_id"] == stack.seed["form_id"] and result["origin"] == "webhook"
    assert isinstance(result["seconds_to_stored"], float) and result["cleaned_up"] is True
    assert_left_nothing_behind(stack, result["lead_id"])
    sessions = stack.sim("GET", f"/_sim/audiences/{stack.seed['audience_id']}")["sessions"]
    ops = [s["op"] for s in sessions]
    assert "add" in ops and ops.index("add") < ops.index("remove")  # it reached the audience, then left it


def test_without_the_pages_leadgen_install_it_fails_naming_the_cause_and_cleans_up(stack: StackClient):
    page = stack.seed["page_id"]
    stack.sim("POST", f"/_sim/pages/{page}/subscribed_apps", {"subscribed_fields": []})
    try:
        code, result, stderr = smoke(stack, "--timeout", "15")
    finally:
        stack.sim("POST", f"/_sim/pages/{page}/subscribed_apps", {"subscribed_fields": ["leadgen"]})

    assert code == 1
    assert result["ok"] is False and result["seconds_to_stored"] is None and result["cleaned_up"] is True
    assert f"Page {page} has not installed the app for leadgen" in result["reason"]
    assert stderr.strip() == f"leadloop: smoke: {result['reason']}"  # the same one line
    assert_left_nothing_behind(stack, result["lead_id"])
