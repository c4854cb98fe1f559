"""``leadloop leads export|show --local`` against a running local stack: leads captured by webhook come out."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadloop_cli.demo.capture import person
from leadloop_cli.stackclient import StackClient
from tests.support.cli import leadloop_cli

pytestmark = pytest.mark.e2e

FIXED = ["id", "created_time", "ad_id", "adset_id", "campaign_id", "form_id", "is_organic", "platform"]


def spreadsheet_safe(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def test_the_seeded_form_exports_every_stored_lead_with_its_answers(stack: StackClient, tmp_path: Path):
    created = [stack.create_lead(person(8100 + n), deliver=True) for n in range(4)]
    created.append(
        stack.create_lead(
            [*person(8199), {"name": "interests", "values": ["boats", "=cars"]}],
            deliver=True,
            ad_id="120200000000000001",
            custom_disclaimer_responses=[{"checkbox_key": "newsletter", "is_checked": "1"}],
        )
    )
    stack.wait_for_fetched(created, timeout=90)
    form_id = stack.seed["form_id"]
    stored = {
        str(lead["leadgen_id"]): lead
        for lead in stack.all_leads()
        if lead.get("status") == "FETCHED" and lead.get("form_id") == form_id
    }
    assert set(created) <= set(stored)
    out = tmp_path / "seeded.csv"

    result = leadloop_cli(stack, "leads", "export", "--form-id", form_id, "--out", str(out))

    assert result.returncode == 0, result.stderr
    assert f"{len(stored)} lead(s) of 1 form(s) written to {out}" in result.stderr
    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        exported = {row[0]: dict(zip(header, row, strict=True)) for row in reader}
    assert header[:8] == FIXED
    assert header[8:] == ["full_name", "email", "phone_number", "city", "interests", "newsletter"]
    assert set(exported) == set(stored)
    for lead_id, lead in stored.items():
        row = exported[lead_id]
        moment = datetime.fromtimestamp(int(lead["created_time"]), UTC)
        assert row["created_time"] == moment.isoformat()
        assert row["form_id"] == form_id
        for answer in lead["field_data"]:
            assert row[answer["name"]] == spreadsheet_safe(";".join(answer["values"])), (lead_id, answer["name"])
    special = exported[created[-1]]
    assert special["interests"] == "boats;=cars"  # joined; the cell starts with "b", so it is left as is
    assert special["newsletter"] == "1" and special["ad_id"] == "120200000000000001"
    assert special["phone_number"].startswith("'+1 (650)")
    assert "example.com" not in result.stderr.lower()
    ordered = [int(stored[i]["created_time"]) for i in exported]
    assert ordered == sorted(ordered)


def test_the_page_export_and_jsonl_agree_with_the_form_export(stack: StackClient):
    lead_id = stack.create_lead(person(8300), deliver=True)
    stack.wait_for_fetched([lead_id], timeout=90)

    by_form = leadloop_cli(stack, "leads", "export", "--form-id", stack.seed["form_id"])
    by_page = leadloop_cli(stack, "leads", "export", "--page-id", stack.seed["page_id"])
    jsonl = leadloop_cli(stack, "leads", "export", "--form-id", stack.seed["form_id"], "--format", "jsonl")

    assert by_form.returncode == by_page.returncode == jsonl.returncode == 0, by_page.stderr + jsonl.stderr
    assert by_page.stdout == by_form.stdout
    form_rows = list(csv.DictReader(io.StringIO(by_form.stdout, newline="")))
    documents = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [d["id"] for d in documents] == [r["id"] for r in form_rows]
    mine = next(d for d in documents if d["id"] == lead_id)
    assert mine["email"] == [a["values"][0] for a in person(8300) if a["name"] == "email"]


def test_show_prints_one_stored_lead(stack: StackClient):
    lead_id = stack.create_lead(person(8400), deliver=True)
    stored = stack.wait_for_fetched([lead_id], timeout=90)[lead_id]

    result = leadloop_cli(stack, "leads", "show", lead_id)

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["id"] == lead_id and shown["status"] == "FETCHED"
    assert shown["form_id"] == stack.seed["form_id"] and shown["source"] == "webhook"
    assert shown["field_data"] == person(8400) == stored["field_data"]
    assert shown["created_time"] == datetime.fromtimestamp(int(stored["created_time"]), UTC).isoformat()

    missing = leadloop_cli(stack, "leads", "show", "999999999999999999")
    assert missing.returncode == 1
    assert missing.stderr.strip() == "leadloop: leads show: no lead 999999999999999999 in LeadsTable"
