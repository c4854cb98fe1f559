"""``leadloop leads export|show`` against LeadsTable as the template defines it (moto), leads stored by LeadStore."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

from leadloop_cli.leadsexport.columns import FIXED_COLUMNS
from tests.support.moto_stack import LeadsStack

T0 = 1_793_500_000  # 2026-11-01T02:26:40Z
DAY = 86_400
SECRET = "=cmd|'/C calc'!A0"


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_export_writes_only_the_stored_leads_of_the_form_oldest_first(stack: LeadsStack, leadloop):
    form = "300000000000001"
    stack.save(
        "310000000000002",
        form,
        T0 + 60,
        [("full_name", ["Bo Li"]), ("email", ["bo@example.com"]), ("phone_number", ["+16505550102"])],
        custom_disclaimer_responses=[{"checkbox_key": "newsletter", "is_checked": "1"}],
        ad_id="120000000000000001",
        adset_id="120000000000000002",
        campaign_id="120000000000000003",
        is_organic=False,
        platform="ig",
    )
    stack.save(
        "310000000000001",
        form,
        T0,
        [("full_name", ["Ann Ek"]), ("phone_number", ["6505550101"]), ("interests", ["boats", "cars"])],
        is_organic=True,
        platform="fb",
    )
    stack.stub("310000000000003", form, T0 + 30)  # announced, never fetched: not a lead to export
    stack.save("310000000000004", form, T0 + 90, [("email", ["gone@example.com"])])
    stack.store.forget("310000000000004", now=T0 + 100)  # a tombstone
    stack.save("310000000000005", "300000000000099", T0, [("email", ["other-form@example.com"])])

    result = leadloop("leads", "export", "--form-id", form)

    assert result.code == 0, result.err
    lines = rows(result.out)
    assert [r["id"] for r in lines] == ["310000000000001", "310000000000002"]
    assert list(lines[0]) == [*FIXED_COLUMNS, "full_name", "email", "phone_number", "interests", "newsletter"]
    assert lines[0] == {
        "id": "310000000000001",
        "created_time": "2026-11-01T02:26:40+00:00",
        "ad_id": "",
        "adset_id": "",
        "campaign_id": "",
        "form_id": form,
        "is_organic": "1",
        "platform": "fb",
        "full_name": "Ann Ek",
        "email": "",
        "phone_number": "6505550101",
        "interests": "boats;cars",
        "newsletter": "",
    }
    assert lines[1]["phone_number"] == "'+16505550102"  # spreadsheet-safe
    assert lines[1]["ad_id"] == "120000000000000001" and lines[1]["is_organic"] == "0"
    assert lines[1]["newsletter"] == "1" and lines[1]["email"] == "bo@example.com"
    assert "leads export: 2 lead(s) of 1 form(s) written to stdout" in result.err
    assert "example.com" not in result.err and "Ann" not in result.err


def test_since_is_inclusive_and_until_exclusive(stack: LeadsStack, leadloop):
    form = "300000000000002"
    for n, created in enumerate([T0 - 1, T0, T0 + DAY - 1, T0 + DAY]):
        stack.save(f"32000000000000{n}", form, created, [("email", [f"w{n}@example.com"])])

    result = leadloop(
        "leads", "export", "--form-id", form, "--since", "2026-11-01T02:26:40Z", "--until", "2026-11-02T04:26:40+02:00"
    )

    assert result.code == 0, result.err
    assert [r["id"] for r in rows(result.out)] == ["320000000000001", "320000000000002"]
    dated = leadloop("leads", "export", "--form-id", form, "--until", "2026-11-02")  # midnight UTC
    assert [r["id"] for r in rows(dated.out)] == ["320000000000000", "320000000000001"]
    bad = leadloop("leads", "export", "--form-id", form, "--since", "2026-11-01T10:00")
    assert bad.code == 1 and "has no UTC offset" in bad.err


def test_a_large_form_pages_through_the_index_into_an_atomic_jsonl_file(stack: LeadsStack, leadloop, tmp_path: Path):
    form = "300000000000003"
    for n in range(237):
        stack.save(f"33{n:013d}", form, T0 + n, [("email", [f"p{n}@example.com"]), ("city", ["Zürich"])])
    stack.stub("339999999999999", form, T0 + 5)
    out = tmp_path / "leads.jsonl"

    result = leadloop("leads", "export", "--form-id", form, "--format", "jsonl", "--out", str(out))

    assert result.code == 0, result.err
    assert result.out == ""
    documents = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [d["id"] for d in documents] == [f"33{n:013d}" for n in range(237)]
    assert documents[236]["email"] == ["p236@example.com"] and documents[0]["city"] == ["Zürich"]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["leads.jsonl"]


def test_a_page_export_reads_every_routed_form_of_the_page(stack: LeadsStack, leadloop, tmp_path: Path):
    page, first, second, elsewhere = "104000000000777", "300000000000011", "300000000000012", "300000000000013"
    stack.set_routing(
        [
            {"form_id": second, "page_id": page},
            {"form_id": elsewhere, "page_id": "104000000000888"},
            {"form_id": first, "page_id": page},
        ]
    )
    stack.save("340000000000001", first, T0 + 10, [("email", ["a@example.com"])])
    stack.save("340000000000002", second, T0 + 20, [("email", ["b@example.com"]), ("budget", ["5k"])])
    stack.save("340000000000003", elsewhere, T0, [("email", ["c@example.com"])])
    out = tmp_path / "page.csv"

    result = leadloop("leads", "export", "--page-id", page, "--out", str(out))

    assert result.code == 0, result.err
    exported = rows(out.read_text(encoding="utf-8"))
    assert [(r["id"], r["form_id"]) for r in exported] == [("340000000000002", second), ("340000000000001", first)]
    assert exported[0]["budget"] == "5k" and exported[1]["budget"] == ""
    assert "2 lead(s) of 2 form(s)" in result.err

    none = leadloop("leads", "export", "--page-id", "104000000000999")
    assert none.code == 1 and "the routing lists no form of Page 104000000000999" in none.err


def test_a_failed_export_leaves_out_untouched_and_says_why_in_one_line(stack: LeadsStack, leadloop, tmp_path: Path):
    form = "300000000000004"
    stack.save("350000000000001", form, T0, [("email", [SECRET])])
    out = tmp_path / "leads.csv"
    out.write_text("yesterday's export\n")
    real = stack.target.resources["LeadsTable"]
    stack.target.resources["LeadsTable"] = "no-such-table"
    try:
        result = leadloop("leads", "export", "--form-id", form, "--out", str(out))
    finally:
        stack.target.resources["LeadsTable"] = real

    assert result.code == 1
    assert result.err.strip() == (
        f"leadloop: leads export: querying the leads of form {form} failed: ResourceNotFoundException"
    )
    assert out.read_text() == "yesterday's export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["leads.csv"]

    (tmp_path / "adir").mkdir()
    refused = leadloop("leads", "export", "--form-id", form, "--out", str(tmp_path / "adir"))
    assert refused.code == 1 and "is a directory, not a regular file" in refused.err

    escaped = leadloop("leads", "export", "--form-id", form)
    assert escaped.code == 0 and rows(escaped.out)[0]["email"] == "'" + SECRET


def test_show_prints_one_stored_lead_and_fails_for_an_unknown_one(stack: LeadsStack, leadloop):
    stack.save(
        "360000000000001",
        "300000000000005",
        T0,
        [("email", ["show@example.com"]), ("interests", ["a", "b"])],
        custom_disclaimer_responses=[{"checkbox_key": "terms", "is_checked": "1"}],
        ad_id="120000000000000009",
    )

    result = leadloop("leads", "show", "360000000000001")

    assert result.code == 0, result.err
    shown = json.loads(result.out)
    assert shown["id"] == "360000000000001" and shown["status"] == "FETCHED"
    assert shown["created_time"] == "2026-11-01T02:26:40+00:00"
    assert shown["fetched_at"] == "2026-11-01T02:26:45+00:00"
    assert shown["form_id"] == "300000000000005" and shown["ad_id"] == "120000000000000009"
    assert shown["field_data"] == [
        {"name": "email", "values": ["show@example.com"]},
        {"name": "interests", "values": ["a", "b"]},
    ]
    assert shown["custom_disclaimer_responses"] == [{"checkbox_key": "terms", "is_checked": "1"}]
    assert shown["source"] == "webhook" and shown["fetch_attempts"] == 1
    assert list(shown)[:3] == ["id", "status", "source"]

    missing = leadloop("leads", "show", "369999999999999")
    assert missing.code == 1 and missing.err.strip() == "leadloop: leads show: no lead 369999999999999 in LeadsTable"
    bad = leadloop("leads", "show", "12a")
    assert bad.code == 1 and "must be a lead id" in bad.err
