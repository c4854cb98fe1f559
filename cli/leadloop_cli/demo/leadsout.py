"""The leads-out scenario: every captured lead at the user's own endpoint, and the form as a CSV.

The stack was started with ``LeadDeliveryUrl`` at a local :class:`~.receiver.Receiver` and the
header value in a secret made before it, so each lead travels the deployed path (LeadsTable stream
→ LeadEventsFunction → LeadEventsBus → rule → API destination). Then ``leadloop leads export``'s
code writes the seeded form's stored leads to a CSV, which must hold each of them with its answers.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from typing import Any

from leadloop_cli.demo.capture import ScenarioResult
from leadloop_cli.demo.receiver import Receiver
from leadloop_cli.leadsexport.dates import Window
from leadloop_cli.leadsexport.export import export_leads
from leadloop_cli.leadsexport.pager import LeadPager
from leadloop_cli.stackclient import StackClient, wait_until

#: The header value the demo's endpoint checks; in production it lives in the operator's secret.
DELIVERY_SECRET_NAME = "leadloop-demo-delivery-token"
DELIVERY_TOKEN = "Bearer demo-crm-token"


def delivery_parameters(receiver: Receiver) -> dict[str, str]:
    return {"LeadDeliveryUrl": receiver.url, "LeadDeliveryAuthSecretName": DELIVERY_SECRET_NAME}


def run_leads_out(
    stack: StackClient, receiver: Receiver, expected: dict[str, list[dict[str, Any]]], forgotten: set[str]
) -> ScenarioResult:
    result = ScenarioResult("leads out: events to your endpoint, CSV export")
    result.check("each captured lead reached the endpoint with its header", lambda: _delivered(receiver, expected))
    result.check(
        "leadloop leads export writes the form's stored leads with their answers",
        lambda: _exported(stack, expected, forgotten),
    )
    return result


def _delivered(receiver: Receiver, expected: dict[str, list[dict[str, Any]]]) -> str:
    wait_until(lambda: all(receiver.delivered(lead) for lead in expected), timeout=60, what="every lead delivered")
    for lead in expected:
        first = receiver.delivered(lead)[0]
        assert first["headers"].get("Authorization") == DELIVERY_TOKEN, f"lead {lead}: no header"
        assert first["body"]["detail-type"] == "Lead Captured", f"lead {lead}: {first['body']['detail-type']}"
        assert "field_data" not in first["body"]["detail"], f"lead {lead}: answers sent without the opt-in"
    return f"{len(expected)} leads POSTed as Lead Captured events, no answers (the route did not opt in)"


def _exported(stack: StackClient, expected: dict[str, list[dict[str, Any]]], forgotten: set[str]) -> str:
    with tempfile.TemporaryDirectory(prefix="leadloop-demo-export-") as tmp:
        out = Path(tmp) / "leads.csv"
        summary = export_leads(
            LeadPager(stack.aws("dynamodb"), stack.resources["LeadsTable"]),
            [str(stack.seed["form_id"])],
            Window(),
            fmt="csv",
            out=str(out),
            progress_stream=io.StringIO(),
            show_progress=False,
        )
        rows = {row["id"]: row for row in csv.DictReader(out.open(encoding="utf-8", newline=""))}
    wanted = {lead: answers for lead, answers in expected.items() if lead not in forgotten}
    missing = sorted(set(wanted) - set(rows))
    assert not missing, f"not exported: {missing}"
    assert not forgotten & set(rows), "a forgotten lead was exported"
    for lead, answers in wanted.items():
        email = next(a["values"][0] for a in answers if a["name"] == "email")
        assert rows[lead]["email"] == email, f"lead {lead}: wrong email in the CSV"
    return f"{summary.leads} leads in Meta's export columns ({len(next(iter(rows.values())))} columns)"
