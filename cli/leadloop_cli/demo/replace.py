"""The replace scenario: the AudienceReplace state machine makes the seeded audience exactly a set.

1. from a CRM CSV in StagingBucket (columns found from the header): the members become exactly the
   CSV's people, so every lead-fed member is dropped;
2. from the leads: the members become exactly the stored (not forgotten) leads, so the CSV's people
   are dropped again.
Each run is checked against hashes computed here, independently of the replace code, and its
outcome must report no overflow and the lock released.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from leadloop_cli.commands.replace import start, wait_for
from leadloop_cli.demo.capture import ScenarioResult
from leadloop_cli.stackclient import StackClient
from leadloop_cli.target import local_target

CSV_PEOPLE = 25


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_replace(stack: StackClient, expected: dict[str, list[dict[str, Any]]], forgotten: set[str]) -> ScenarioResult:
    result = ScenarioResult("audience replace: /usersreplace sessions make the audience exactly a set")
    audience_id = stack.seed["audience_id"]
    target = local_target(stack.info)

    def member_emails() -> set[str]:
        audience = stack.sim("GET", f"/_sim/audiences/{audience_id}")
        schema = audience.get("schema") or []
        rows = [dict(zip(schema, row, strict=True)) for row in audience.get("members", [])]
        return {r.get("EMAIL", "") for r in rows}

    def replaced(document: dict[str, Any]) -> dict[str, Any]:
        execution = wait_for(target, start(target, document), timeout=180)
        if execution["status"] != "SUCCEEDED":
            raise AssertionError(f"{execution['status']}: {execution.get('error')}: {execution.get('cause')}")
        outcome: dict[str, Any] = json.loads(execution["output"])
        if outcome.get("overflow_chunks") or not outcome.get("lock_released"):
            raise AssertionError(f"unexpected outcome: overflow {outcome.get('overflow_chunks')}, lock kept")
        return outcome

    def from_csv() -> str:
        bucket = stack.resources["StagingBucket"]
        lines = ["Email,Phone Number,First Name,Last Name"]
        lines += [f"crm{n}@example.com,+1 415 555 {n:04d},Casey,Row{n}" for n in range(CSV_PEOPLE)]
        stack.aws("s3").put_object(Bucket=bucket, Key="sources/demo-crm.csv", Body="\n".join(lines).encode())
        mapping = {"Email": "EMAIL", "Phone Number": "PHONE", "First Name": "FN", "Last Name": "LN"}
        source = {"type": "s3_csv", "bucket": bucket, "key": "sources/demo-crm.csv", "mapping": mapping}
        outcome = replaced({"audience_id": audience_id, "source": source})
        wanted = {_sha(f"crm{n}@example.com") for n in range(CSV_PEOPLE)}
        if member_emails() != wanted:
            raise AssertionError("the members are not exactly the CSV's people")
        calls = outcome["replace_calls"]
        return f"{outcome['rows_unique']} CSV rows in {calls} /usersreplace batches; every lead-fed member dropped"

    def from_leads() -> str:
        outcome = replaced({"audience_id": audience_id, "source": {"type": "leads"}})
        if outcome["rows_unique"] != len(expected) - len(forgotten):
            raise AssertionError(f"{outcome['rows_unique']} rows staged from the leads")
        wanted = {
            _sha(next(a["values"][0] for a in answers if a["name"] == "email").strip().lower())
            for lead_id, answers in expected.items()
            if lead_id not in forgotten
        }
        if member_emails() != wanted:
            raise AssertionError("the members are not exactly the stored leads")
        return f"{len(wanted)} leads (the forgotten person excluded); the CSV's people dropped"

    if result.check("replace from a CSV in StagingBucket", from_csv):
        result.check("replace from the stored leads", from_leads)
    return result
