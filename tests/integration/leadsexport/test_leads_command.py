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
    # Given two stored leads of a form, a stub never fetched, a tombstone, and a lead of another form
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

    # When the form is exported to stdout
    result = leadloop("leads", "export", "--form-id", form)

    # Then only the two stored leads of the form are written, oldest first
    assert result.code == 0, result.err
    lines = rows(result.out)
    assert [r["id"] for r in lines] == ["310000000000001", "310000000000002"]
    # And the columns are the fixed ones, then the answers and consents in the order first seen
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
    # And a cell a spreadsheet would read as a formula is escaped
    assert lines[1]["phone_number"] == "'+16505550102"
    assert lines[1]["ad_id"] == "120000000000000001"
    assert lines[1]["is_organic"] == "0"
    assert lines[1]["newsletter"] == "1"
    assert lines[1]["email"] == "bo@example.com"
    # And stderr counts the leads without quoting any answer
    assert "leads export: 2 lead(s) of 1 form(s) written to stdout" in result.err
    assert "example.com" not in result.err
    assert "Ann" not in result.err


def test_since_is_inclusive_and_until_exclusive(stack: LeadsStack, leadloop):
    # Given leads created one second before T0, at T0, a second before T0 + 1 day, and at T0 + 1 day
    form = "300000000000002"
    for n, created in enumerate([T0 - 1, T0, T0 + DAY - 1, T0 + DAY]):
        stack.save(f"32000000000000{n}", form, created, [("email", [f"w{n}@example.com"])])

    # When the form is exported from T0 until T0 + 1 day (given with another UTC offset)
    result = leadloop(
        "leads", "export", "--form-id", form, "--since", "2026-11-01T02:26:40Z", "--until", "2026-11-02T04:26:40+02:00"
    )

    # Then the lead at T0 is in and the one at T0 + 1 day is out
    assert result.code == 0, result.err
    assert [r["id"] for r in rows(result.out)] == ["320000000000001", "320000000000002"]


def test_a_date_alone_means_midnight_utc(stack: LeadsStack, leadloop):
    # Given leads created on either side of 2026-11-02T00:00Z
    form = "300000000000006"
    for n, created in enumerate([T0 - 1, T0, T0 + DAY]):
        stack.save(f"32100000000000{n}", form, created, [("email", [f"d{n}@example.com"])])

    # When the form is exported until 2026-11-02
    dated = leadloop("leads", "export", "--form-id", form, "--until", "2026-11-02")

    # Then the leads before that midnight are written
    assert [r["id"] for r in rows(dated.out)] == ["321000000000000", "321000000000001"]


def test_a_time_without_a_utc_offset_is_refused(stack: LeadsStack, leadloop):
    # Given a time with no UTC offset
    # When the export is asked from it
    bad = leadloop("leads", "export", "--form-id", "300000000000002", "--since", "2026-11-01T10:00")
    # Then it fails and says why
    assert bad.code == 1
    assert "has no UTC offset" in bad.err


def test_a_large_form_pages_through_the_index_into_an_atomic_jsonl_file(stack: LeadsStack, leadloop, tmp_path: Path):
    # Given 237 stored leads of a form (more than one page of the index) and one stub
    form = "300000000000003"
    for n in range(237):
        stack.save(f"33{n:013d}", form, T0 + n, [("email", [f"p{n}@example.com"]), ("city", ["Zürich"])])
    stack.stub("339999999999999", form, T0 + 5)
    out = tmp_path / "leads.jsonl"

    # When the form is exported as JSON lines to a file
    result = leadloop("leads", "export", "--form-id", form, "--format", "jsonl", "--out", str(out))

    # Then every stored lead is in the file, in order, and nothing went to stdout
    assert result.code == 0, result.err
    assert result.out == ""
    documents = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [d["id"] for d in documents] == [f"33{n:013d}" for n in range(237)]
    assert documents[236]["email"] == ["p236@example.com"]
    assert documents[0]["city"] == ["Zürich"]
    # And the file is readable by its owner only, with no temporary file left beside it
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["leads.jsonl"]


def test_a_page_export_reads_every_routed_form_of_the_page(stack: LeadsStack, leadloop, tmp_path: Path):
    # Given two forms routed from one Page and a third form of another Page, each with a lead
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

    # When the Page is exported
    result = leadloop("leads", "export", "--page-id", page, "--out", str(out))

    # Then the leads of its two forms are written, form by form in routing order
    assert result.code == 0, result.err
    exported = rows(out.read_text(encoding="utf-8"))
    assert [(r["id"], r["form_id"]) for r in exported] == [("340000000000002", second), ("340000000000001", first)]
    # And a question of one form is an empty cell for the other
    assert exported[0]["budget"] == "5k"
    assert exported[1]["budget"] == ""
    assert "2 lead(s) of 2 form(s)" in result.err


def test_a_page_without_a_routed_form_is_refused(stack: LeadsStack, leadloop):
    # Given a Page the routing does not list
    # When it is exported
    none = leadloop("leads", "export", "--page-id", "104000000000999")
    # Then the export fails and says so
    assert none.code == 1
    assert "the routing lists no form of Page 104000000000999" in none.err


def test_a_failed_export_leaves_out_untouched_and_says_why_in_one_line(stack: LeadsStack, leadloop, tmp_path: Path):
    # Given yesterday's export in OUT, and a LeadsTable that cannot be read
    form = "300000000000004"
    stack.save("350000000000001", form, T0, [("email", [SECRET])])
    out = tmp_path / "leads.csv"
    out.write_text("yesterday's export\n")
    real = stack.target.resources["LeadsTable"]
    stack.target.resources["LeadsTable"] = "no-such-table"
    # When the form is exported to OUT
    try:
        result = leadloop("leads", "export", "--form-id", form, "--out", str(out))
    finally:
        stack.target.resources["LeadsTable"] = real

    # Then it fails with one line naming the cause
    assert result.code == 1
    assert result.err.strip() == (
        f"leadloop: leads export: querying the leads of form {form} failed: ResourceNotFoundException"
    )
    # And OUT is as it was, with no temporary file left beside it
    assert out.read_text() == "yesterday's export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["leads.csv"]


def test_an_out_that_is_a_directory_is_refused(stack: LeadsStack, leadloop, tmp_path: Path):
    # Given a directory where the export should go
    (tmp_path / "adir").mkdir()
    # When the export is asked to write there
    refused = leadloop("leads", "export", "--form-id", "300000000000004", "--out", str(tmp_path / "adir"))
    # Then it fails and says why
    assert refused.code == 1
    assert "is a directory, not a regular file" in refused.err


def test_an_answer_that_looks_like_a_formula_is_escaped(stack: LeadsStack, leadloop):
    # Given a stored lead whose email answer is a spreadsheet formula
    form = "300000000000007"
    stack.save("350000000000002", form, T0, [("email", [SECRET])])
    # When the form is exported as CSV
    escaped = leadloop("leads", "export", "--form-id", form)
    # Then the cell starts with a quote, so a spreadsheet shows it as text
    assert escaped.code == 0
    assert rows(escaped.out)[0]["email"] == "'" + SECRET


def test_show_prints_one_stored_lead(stack: LeadsStack, leadloop):
    # Given a stored lead with answers, a consent and an ad
    stack.save(
        "360000000000001",
        "300000000000005",
        T0,
        [("email", ["show@example.com"]), ("interests", ["a", "b"])],
        custom_disclaimer_responses=[{"checkbox_key": "terms", "is_checked": "1"}],
        ad_id="120000000000000009",
    )

    # When it is shown
    result = leadloop("leads", "show", "360000000000001")

    # Then the whole item is printed as JSON, its id, status and source first, times as ISO text
    assert result.code == 0, result.err
    shown = json.loads(result.out)
    assert list(shown)[:3] == ["id", "status", "source"]
    assert shown["id"] == "360000000000001"
    assert shown["status"] == "FETCHED"
    assert shown["source"] == "webhook"
    assert shown["fetch_attempts"] == 1
    assert shown["created_time"] == "2026-11-01T02:26:40+00:00"
    assert shown["fetched_at"] == "2026-11-01T02:26:45+00:00"
    assert shown["form_id"] == "300000000000005"
    assert shown["ad_id"] == "120000000000000009"
    assert shown["field_data"] == [
        {"name": "email", "values": ["show@example.com"]},
        {"name": "interests", "values": ["a", "b"]},
    ]
    assert shown["custom_disclaimer_responses"] == [{"checkbox_key": "terms", "is_checked": "1"}]


def test_show_fails_for_an_unknown_lead(stack: LeadsStack, leadloop):
    # Given no lead 369999999999999
    # When it is shown
    missing = leadloop("leads", "show", "369999999999999")
    # Then the command fails and says so in one line
    assert missing.code == 1
    assert missing.err.strip() == "leadloop: leads show: no lead 369999999999999 in LeadsTable"


def test_show_refuses_what_is_not_a_lead_id(stack: LeadsStack, leadloop):
    # Given an argument that is not a lead id
    # When it is shown
    bad = leadloop("leads", "show", "12a")
    # Then the command fails and says why
    assert bad.code == 1
    assert "must be a lead id" in bad.err
