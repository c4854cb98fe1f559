"""Cells of a lead: Meta's columns, questions in form order, check boxes last, spreadsheet-safe."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from leadloop_cli.leadsexport.columns import (
    FIXED_COLUMNS,
    ColumnSet,
    LeadRecord,
    UnknownColumn,
    column_names,
    escape_cell,
    iso_utc,
)
from leadloop_cli.leadsexport.errors import ExportError

SECRET = "mary.secret@example.com"


def item(lead_id: str = "1001", answers: list[tuple[str, list[str]]] | None = None, **extra: Any) -> dict[str, Any]:
    """A LeadsTable item as LeadStore.save_fetched writes it (numbers deserialized as Decimal)."""
    base: dict[str, Any] = {
        "leadgen_id": lead_id,
        "status": "FETCHED",
        "created_time": Decimal(1_793_500_000),
        "form_id": "205000000000001",
        "ad_id": "120000000000000001",
        "adset_id": "120000000000000002",
        "campaign_id": "120000000000000003",
        "is_organic": False,
        "platform": "fb",
        "field_data": [{"name": n, "values": v} for n, v in (answers or [("email", [SECRET])])],
        "custom_disclaimer_responses": [],
    }
    return base | extra


def columns_for(*items: dict[str, Any]) -> ColumnSet:
    columns = ColumnSet()
    for one in items:
        columns.observe(*column_names(one))
    return columns


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_starting_like_a_formula_gets_a_quote(start: str):
    assert escape_cell(f"{start}HYPERLINK(1)") == f"'{start}HYPERLINK(1)"


@pytest.mark.parametrize("text", ["", "plain", "a=b", "'quoted", " =leading space", "1+1", "\n=next line"])
def test_other_cells_are_left_alone(text: str):
    assert escape_cell(text) == text


def test_created_time_is_iso_8601_utc():
    assert iso_utc(1_793_500_000) == "2026-11-01T02:26:40+00:00"


def test_fixed_cells_follow_meta_export():
    lead = LeadRecord.from_item(item(is_organic=True, ad_id=None, platform="ig"))
    assert dict(zip(FIXED_COLUMNS, lead.fixed_cells(), strict=True)) == {
        "id": "1001",
        "created_time": "2026-11-01T02:26:40+00:00",
        "ad_id": "",
        "adset_id": "120000000000000002",
        "campaign_id": "120000000000000003",
        "form_id": "205000000000001",
        "is_organic": "1",
        "platform": "ig",
    }
    assert LeadRecord.from_item(item()).fixed_cells()[6] == "0"
    no_flag = item()
    del no_flag["is_organic"], no_flag["platform"]
    assert LeadRecord.from_item(no_flag).fixed_cells()[6:] == ["", ""]


def test_questions_keep_form_order_even_when_the_first_lead_skipped_one():
    first = item("1", [("full_name", ["A"]), ("phone_number", ["1"])])
    second = item("2", [("full_name", ["B"]), ("email", ["b@x.io"]), ("phone_number", ["2"])])
    third = item("3", [("city", ["C"]), ("full_name", ["C"])])
    columns = columns_for(first, second, third)
    assert columns.header()[len(FIXED_COLUMNS) :] == ["city", "full_name", "email", "phone_number"]


def test_check_boxes_come_after_every_question():
    with_box = item(
        "1",
        [("email", ["a@x.io"])],
        custom_disclaimer_responses=[{"checkbox_key": "marketing", "is_checked": "1"}],
    )
    later_question = item("2", [("email", ["b@x.io"]), ("zip_code", ["94025"])])
    columns = columns_for(with_box, later_question)
    assert columns.header()[len(FIXED_COLUMNS) :] == ["email", "zip_code", "marketing"]
    assert columns.csv_row(LeadRecord.from_item(with_box))[len(FIXED_COLUMNS) :] == ["a@x.io", "", "1"]
    assert columns.csv_row(LeadRecord.from_item(later_question))[len(FIXED_COLUMNS) :] == ["b@x.io", "94025", ""]


def test_a_name_already_taken_gets_a_suffix_so_a_header_means_one_thing():
    lead = item(
        "1",
        [("id", ["custom id answer"]), ("consent", ["yes"]), ("consent_2", ["x"])],
        custom_disclaimer_responses=[{"checkbox_key": "consent", "is_checked": ""}],
    )
    columns = columns_for(lead)
    header = columns.header()
    assert header[len(FIXED_COLUMNS) :] == ["id_2", "consent", "consent_2", "consent_3"]
    assert len(set(header)) == len(header)
    document = columns.json_object(LeadRecord.from_item(lead))
    assert document["id"] == "1" and document["id_2"] == ["custom id answer"]
    assert document["consent"] == ["yes"] and document["consent_3"] == ""


def test_multi_select_answers_join_with_semicolons_in_csv_and_stay_a_list_in_jsonl():
    lead = item("1", [("interests", ["Boats", "Cars", "Planes"]), ("email", ["a@x.io"])])
    columns = columns_for(lead)
    record = LeadRecord.from_item(lead)
    assert columns.csv_row(record)[len(FIXED_COLUMNS) :] == ["Boats;Cars;Planes", "a@x.io"]
    assert columns.json_object(record)["interests"] == ["Boats", "Cars", "Planes"]


def test_a_question_without_an_answer_is_an_empty_cell():
    columns = columns_for(item("1", [("email", ["a@x.io"]), ("city", ["X"])]))
    sparse = LeadRecord.from_item(item("2", [("city", [])]))
    assert columns.csv_row(sparse)[len(FIXED_COLUMNS) :] == ["", ""]


def test_a_row_for_a_lead_with_an_unseen_question_is_refused_without_its_answer():
    columns = columns_for(item("1", [("email", ["a@x.io"])]))
    newcomer = LeadRecord.from_item(item("2", [("email", ["b@x.io"]), ("secret_q", [SECRET])]))
    with pytest.raises(UnknownColumn, match="lead 2 has 1 question") as caught:
        columns.csv_row(newcomer)
    assert SECRET not in str(caught.value) and "secret_q" not in str(caught.value)


def test_jsonl_object_has_the_same_fields_with_json_types():
    lead = item("1", [("email", ["a@x.io"])], is_organic=True)
    document = ColumnSet().json_object(LeadRecord.from_item(lead))
    assert document == {
        "id": "1",
        "created_time": "2026-11-01T02:26:40+00:00",
        "ad_id": "120000000000000001",
        "adset_id": "120000000000000002",
        "campaign_id": "120000000000000003",
        "form_id": "205000000000001",
        "is_organic": True,
        "platform": "fb",
        "email": ["a@x.io"],
    }


def test_a_malformed_item_is_reported_by_id_never_by_value():
    broken = item("77", field_data=[{"values": [SECRET]}])
    with pytest.raises(ExportError, match=r"lead 77 is not shaped like a stored lead \(KeyError\)") as caught:
        LeadRecord.from_item(broken)
    assert SECRET not in str(caught.value)
    with pytest.raises(ExportError, match="lead 77") as caught:
        column_names(broken)
    assert SECRET not in str(caught.value)


def test_the_column_set_does_not_grow_with_the_number_of_leads():
    columns = ColumnSet()
    for n in range(5000):
        columns.observe(*column_names(item(str(n), [("email", [f"p{n}@x.io"]), ("full_name", [f"P {n}"])])))
    assert columns.question_count == 2
    assert columns.header()[len(FIXED_COLUMNS) :] == ["email", "full_name"]
