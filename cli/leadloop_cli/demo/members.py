"""The membership scenario: captured leads become members of the seeded audience at Meta, and a
forgotten person disappears from it (and from our lead store) without coming back."""

from __future__ import annotations

import hashlib
from typing import Any

from leadloop_cli.commands.forget import forget_person
from leadloop_cli.demo.capture import ScenarioResult
from leadloop_cli.stackclient import StackClient, wait_until
from leadloop_cli.stackconfig import StackConfig
from leadloop_cli.target import local_target


def _email_hash(answers: list[dict[str, Any]]) -> str:
    email = next(a["values"][0] for a in answers if a["name"] == "email")
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def run_members(stack: StackClient, expected: dict[str, list[dict[str, Any]]]) -> ScenarioResult:
    result = ScenarioResult("audience membership: uploads reach Meta, a forgotten person leaves")
    audience_id = stack.seed["audience_id"]

    def member_emails() -> set[str]:
        audience = stack.sim("GET", f"/_sim/audiences/{audience_id}")
        schema = audience.get("schema") or []
        if "EMAIL" not in schema:
            return set()
        column = schema.index("EMAIL")
        return {row[column] for row in audience.get("members", []) if row[column]}

    wanted = {lead_id: _email_hash(answers) for lead_id, answers in expected.items()}

    def all_members() -> str:
        wait_until(lambda: set(wanted.values()) <= member_emails(), timeout=90, what="every lead to become a member")
        return f"{len(wanted)} leads are members of audience {audience_id} (EMAIL hashes computed independently)"

    if not result.check("captured leads are members of the seeded audience", all_members):
        return result
    lead_id, answers = next(iter(expected.items()))
    email = next(a["values"][0] for a in answers if a["name"] == "email")

    def forgotten() -> str:
        config = StackConfig.load(local_target(stack.info))
        report = forget_person(config, [email], [], country=None, account=None)
        if report.failures or report.leads_forgotten != 1:
            raise AssertionError(f"forget: {report.failures or report.leads_forgotten}")
        wait_until(lambda: wanted[lead_id] not in member_emails(), timeout=30, what="the person to leave the audience")
        item = stack.lead(lead_id) or {}
        if item.get("status") != "FORGOTTEN" or "field_data" in item:
            raise AssertionError("the lead still holds answers")
        others = set(wanted.values()) - {wanted[lead_id]}
        if not others <= member_emails():
            raise AssertionError("forgetting one person removed others")
        return "removed from the audience; the lead is a tombstone without answers"

    result.check("a forgotten person leaves the audience and our store", forgotten)
    return result
