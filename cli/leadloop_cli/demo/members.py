"""The membership scenario: captured leads travel LeadsTable stream → LeadHasher → AudienceQueue →
AudienceUploader → Meta and become members of the seeded audience; a forgotten person disappears
from it (and from our lead store) without coming back.

Hashes are checked against an independent computation of Meta's rules (email trimmed and
lower-cased, phone as digits with the country code), and what reached Meta is scanned for the raw
answers, which must never appear.
"""

from __future__ import annotations

import hashlib
from typing import Any

from leadloop_cli.commands.forget import forget_person
from leadloop_cli.demo.capture import ScenarioResult
from leadloop_cli.stackclient import StackClient, wait_until
from leadloop_cli.stackconfig import StackConfig
from leadloop_cli.target import local_target


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _answer(answers: list[dict[str, Any]], name: str) -> str:
    return str(next(a["values"][0] for a in answers if a["name"] == name))


def _email_hash(answers: list[dict[str, Any]]) -> str:
    return _sha(_answer(answers, "email").strip().lower())


def _phone_hash(answers: list[dict[str, Any]]) -> str:
    return _sha("".join(ch for ch in _answer(answers, "phone_number") if ch.isdigit()))


def forgotten_lead(expected: dict[str, list[dict[str, Any]]]) -> str:
    """The lead whose person the scenario forgets (the first captured)."""
    return next(iter(expected))


def run_members(stack: StackClient, expected: dict[str, list[dict[str, Any]]]) -> ScenarioResult:
    result = ScenarioResult("audience membership: uploads reach Meta, a forgotten person leaves")
    audience_id = stack.seed["audience_id"]

    def members() -> list[dict[str, str]]:
        audience = stack.sim("GET", f"/_sim/audiences/{audience_id}")
        schema = audience.get("schema") or []
        return [dict(zip(schema, row, strict=True)) for row in audience.get("members", [])]

    def member_emails() -> set[str]:
        return {m["EMAIL"] for m in members() if m.get("EMAIL")}

    wanted = {lead_id: _email_hash(answers) for lead_id, answers in expected.items()}

    def all_members() -> str:
        wait_until(lambda: set(wanted.values()) <= member_emails(), timeout=90, what="every lead to become a member")
        return f"{len(wanted)} leads are members of audience {audience_id} (EMAIL hashes computed independently)"

    def hashes_match() -> str:
        by_email = {m.get("EMAIL"): m for m in members()}
        for answers in expected.values():
            member = by_email[_email_hash(answers)]
            if member.get("PHONE") != _phone_hash(answers):
                raise AssertionError("a member's phone hash differs from Meta's rules")
        return "EMAIL and PHONE hashes equal an independent computation"

    def no_raw_values() -> str:
        raw = {v.lower() for answers in expected.values() for a in answers for v in a["values"] if a["name"] != "city"}
        cells = {cell.lower() for m in members() for cell in m.values()}
        leaked = [v for v in raw if any(v in cell for cell in cells)]
        if leaked:
            raise AssertionError(f"{len(leaked)} raw answer(s) reached Meta")
        return f"{len(cells)} member cells checked"

    if not result.check("captured leads are members of the seeded audience", all_members):
        return result
    result.check("hashes follow Meta's normalization", hashes_match)
    result.check("no raw answer reached Meta", no_raw_values)
    lead_id = forgotten_lead(expected)
    answers = expected[lead_id]
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
