"""RunReport: counts, example row numbers, and reasons that can never carry a value."""

from __future__ import annotations

import json
import re

from leadloop_cli.hashfile.report import RunReport


def test_tallies_keep_counts_and_the_first_rows():
    report = RunReport(schema=("EMAIL", "PHONE"), example_rows=3)
    for row in range(2, 12):
        report.reject_cell(row, "PHONE", "invalid_phone")
    report.reject_cell(5, "EMAIL", "invalid_email")
    report.reject_row(7, "ragged_row")
    report.reject_row(9, "ragged_row")
    data = report.as_dict()
    assert data["cells_rejected"]["PHONE"]["invalid_phone"] == {"count": 10, "rows": [2, 3, 4]}
    assert data["cells_rejected"]["EMAIL"]["invalid_email"] == {"count": 1, "rows": [5]}
    assert data["rows_rejected"] == {"ragged_row": {"count": 2, "rows": [7, 9]}}
    assert data["rows_rejected_total"] == 2 and data["cells_rejected_total"] == 11
    json.dumps(data)


def test_reasons_and_keys_that_look_like_values_are_masked():
    report = RunReport()
    report.reject_cell(2, "EMAIL", "bad value jane@example.com")
    report.reject_cell(3, "EMAIL", "bad value jane@example.com")
    report.reject_cell(4, "jane@example.com", "invalid_email")
    report.reject_row(5, "row has Jane")
    text = json.dumps(report.as_dict()) + report.render()
    assert "jane" not in text.lower()
    assert report.cells_rejected["EMAIL"]["invalid"].count == 2
    assert report.cells_rejected["UNKNOWN"]["invalid_email"].count == 1
    assert report.rows_rejected["invalid"].rows == [5]


def test_render_lists_reasons_with_row_numbers():
    report = RunReport(schema=("EMAIL", "PHONE"), example_rows=2, rows_read=10, rows_written=7, elapsed_seconds=2.0)
    report.output = "out.jsonl"
    report.reject_row(3, "ragged_row")
    report.reject_row(4, "empty_row")
    report.reject_row(8, "empty_row")
    report.reject_row(9, "empty_row")
    report.reject_cell(6, "PHONE", "invalid_phone")
    report.reject_cell(5, "EMAIL", "invalid_email")
    text = report.render()
    assert text.splitlines()[0].startswith("leadloop hash: 10 row(s) read, 7 written, 4 rejected, 2 cell(s) rejected")
    assert re.search(r"^  empty_row +3  rows 4, 8 and 1 more$", text, re.MULTILINE)
    assert re.search(r"^  ragged_row +1  row 3$", text, re.MULTILINE)
    email, phone = text.index("EMAIL invalid_email"), text.index("PHONE invalid_phone")
    assert email < phone  # schema order
    assert "out.jsonl was not written" in text


def test_clean_run_renders_one_line():
    report = RunReport(rows_read=3, rows_written=3, output="-", output_written=True)
    assert len(report.render().splitlines()) == 1
