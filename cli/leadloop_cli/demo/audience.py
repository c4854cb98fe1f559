"""The audience-rows scenario: every captured lead becomes one hashed ``add`` row on AudienceQueue.

Hashes are checked against an independent computation (Meta's published rules applied by hand:
email trimmed and lower-cased, phone as digits with the country code), and every message body is
scanned for the raw answers, which must never appear.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from leadloop_cli.demo.capture import ScenarioResult
from leadloop_cli.stackclient import StackClient, wait_until


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_audience_rows(stack: StackClient, expected: dict[str, list[dict[str, Any]]]) -> ScenarioResult:
    result = ScenarioResult("audience rows: captured leads become hashed rows on AudienceQueue")
    messages: dict[str, dict[str, Any]] = {}
    bodies: dict[str, str] = {}

    def collect() -> bool:
        for body in stack.peek_messages("AudienceQueue"):
            message = json.loads(body)
            if message.get("lead_id") in expected and message.get("op") == "add":
                messages[message["lead_id"]] = message
                bodies[message["lead_id"]] = body
        return set(messages) == set(expected)

    def all_rows_queued() -> str:
        wait_until(collect, timeout=30, what=f"{len(expected)} hashed rows on AudienceQueue")
        audiences = {m["audience_id"] for m in messages.values()}
        if audiences != {stack.seed["audience_id"]}:
            raise AssertionError(f"rows went to {sorted(audiences)}, expected the seeded audience")
        return f"{len(messages)} add rows for audience {stack.seed['audience_id']}"

    def hashes_match() -> str:
        for lead_id, answers in expected.items():
            message = messages[lead_id]
            row = dict(zip(message["schema"], message["rows"][0], strict=True))
            given = {a["name"]: a["values"][0] for a in answers}
            want_email = _sha(given["email"].strip().lower())
            want_phone = _sha("".join(ch for ch in given["phone_number"] if ch.isdigit()))
            if row.get("EMAIL") != want_email or row.get("PHONE") != want_phone:
                raise AssertionError(f"lead {lead_id}: hashed email/phone differ from Meta's rules")
        return "EMAIL and PHONE hashes equal an independent computation"

    def no_raw_values() -> str:
        raw = {v.lower() for answers in expected.values() for a in answers for v in a["values"] if a["name"] != "city"}
        leaked = [v for v in raw for body in bodies.values() if v in body.lower()]
        if leaked:
            raise AssertionError(f"{len(leaked)} raw answer(s) found in AudienceQueue messages")
        return f"{len(bodies)} messages scanned"

    if result.check("every captured lead queued as a hashed add row", all_rows_queued):
        result.check("hashes follow Meta's normalization", hashes_match)
        result.check("no raw answer in any queued message", no_raw_values)
    return result
