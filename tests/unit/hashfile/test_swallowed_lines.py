"""hash_file accounts for every physical line: what a runaway quote took in is reported, and past a limit fatal."""

from __future__ import annotations

import io
import json

import pytest

from leadloop_cli.hashfile import HashFileError, HashOptions, Progress, hash_file
from leadloop_cli.hashfile.swallow import MAX_SWALLOWED_PER_ROW, MAX_SWALLOWED_TOTAL

from .fakes import FakeHasher, sha

HEADER = b"email,phone,notes\n"


def _ok(n: int) -> bytes:
    return b"p%d@x.io,55501%05d,fine\n" % (n, n)


def _runaway(extra_lines: int, tag: int = 0) -> bytes:
    """A record whose quote opens in the email column and closes ``extra_lines`` lines later, ragged."""
    inner = b"".join(b"q%d.%d@x.io,5550100000,eaten\n" % (tag, n) for n in range(extra_lines - 1))
    return b'"r%d@x.io,5550100000,open\n' % tag + inner + b'closed"\n'


def _run(tmp_path, data: bytes, out: str | None = None, **options):
    source = tmp_path / "in.csv"
    source.write_bytes(data)
    target = out or str(tmp_path / "out.jsonl")
    if target != "-":
        (tmp_path / "out.jsonl").write_text("previous\n")
    opts = HashOptions(input=str(source), out=target, schema=("EMAIL", "PHONE"), **options)
    return hash_file(opts, hasher=FakeHasher(), progress=Progress(io.StringIO(), "off"))


def test_the_limits_are_the_documented_ones():
    assert (MAX_SWALLOWED_PER_ROW, MAX_SWALLOWED_TOTAL) == (3, 100)


def test_a_malformed_record_within_the_limit_is_rejected_and_its_lines_reported(tmp_path):
    report = _run(tmp_path, HEADER + _ok(0) + _runaway(MAX_SWALLOWED_PER_ROW) + _ok(1))
    data = report.as_dict()
    assert data["rows_read"] == 3 and data["rows_written"] == 2
    assert data["rows_rejected"] == {"ragged_row": {"count": 1, "rows": [3]}}
    assert data["lines_read"] == 1 + 1 + 4 + 1
    assert data["lines_swallowed"] == 3
    assert data["swallowed"] == [{"row": 3, "lines": [3, 6], "reason": "ragged_row"}]
    assert "stray quotes: 3 line(s) taken in: row 3 (lines 3-6) ragged_row\n" in report.render()


def test_the_summary_lists_the_first_spans_and_counts_the_rest(tmp_path):
    body = b"".join(_runaway(1, tag) + _ok(tag) for tag in range(12)) + b'"open@x.io,5550100000,x'
    summary = _run(tmp_path, HEADER + body).render().splitlines()[1]
    assert summary.startswith("stray quotes: 12 line(s) taken in: row 2 (lines 2-3) ragged_row, row 4 (lines 5-6)")
    assert summary.endswith("row 20 (lines 29-30) ragged_row and 3 more row(s)")


def test_a_malformed_record_past_the_limit_fails_the_run_before_out_is_touched(tmp_path):
    with pytest.raises(HashFileError) as caught:
        _run(tmp_path, HEADER + _ok(0) + _runaway(MAX_SWALLOWED_PER_ROW + 1) + _ok(1))
    message = str(caught.value)
    assert message == (
        "row 3 (lines 3-7): ragged_row: a quoted field took in the next 4 line(s) (at most 3 allowed); "
        "fix the quoting; OUT was not written"
    )
    assert (tmp_path / "out.jsonl").read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []


def test_lines_taken_in_add_up_to_a_limit_for_the_whole_file(tmp_path):
    body = b"".join(_runaway(2, tag) + _ok(tag) for tag in range(MAX_SWALLOWED_TOTAL // 2))
    report = _run(tmp_path, HEADER + body)  # exactly at the limit: reported, not fatal
    assert report.as_dict()["lines_swallowed"] == MAX_SWALLOWED_TOTAL
    assert len(report.as_dict()["swallowed"]) == report.example_rows
    with pytest.raises(HashFileError) as caught:
        _run(tmp_path, HEADER + body + _runaway(1, 99))
    assert str(caught.value).startswith(
        "quoted fields took in 101 line(s) in all (at most 100 allowed), the last at row 102 (lines 202-203): "
    )
    assert (tmp_path / "out.jsonl").read_text() == "previous\n"


def test_line_breaks_in_a_used_cell_count_and_the_row_is_kept_within_the_limit(tmp_path):
    """A quote closed by a later quote can leave a record of the right width: its used cell shows it."""
    data = HEADER + b'"a@x.io\nb@x.io",5550100001,x\n' + _ok(1)
    report = _run(tmp_path, data)
    assert report.rows_written == 2
    data_out = report.as_dict()
    assert data_out["rows_rejected"] == {}
    assert data_out["swallowed"] == [{"row": 2, "lines": [2, 3], "reason": "line_break_in_cell"}]
    assert data_out["lines_swallowed"] == 1
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert rows[0] == [sha("a@x.io\nb@x.io"), sha("5550100001")]


def test_line_breaks_in_a_used_cell_past_the_limit_fail(tmp_path):
    many = b"".join(b"q%d@x.io,5550100000,eaten\n" % n for n in range(10))
    data = HEADER + b'"a@x.io,5550100001,x\n' + many + b'z@x.io,5550100002,"notes, with, commas"\n'
    with pytest.raises(HashFileError, match=r"^row 2 \(lines 2-13\): line_break_in_cell: .* next 11 line\(s\)"):
        _run(tmp_path, data)


def test_line_breaks_in_unused_columns_are_ordinary_multi_line_values(tmp_path):
    notes = "\n".join(f"note line {n}" for n in range(50)).encode()
    report = _run(tmp_path, HEADER + b'a@x.io,5550100001,"' + notes + b'"\n' + _ok(1))
    data = report.as_dict()
    assert report.rows_written == 2 and data["lines_read"] == 52
    assert data["lines_swallowed"] == 0 and data["swallowed"] == []


def test_an_unterminated_quote_at_the_end_of_a_file_fails_naming_its_lines(tmp_path):
    with pytest.raises(HashFileError, match=r"^row 3 \(lines 3-12\): unterminated_quote: .* next 9 line\(s\)"):
        _run(tmp_path, HEADER + _ok(0) + b'"open@x.io,5550100000,x\n' + b"".join(_ok(n) for n in range(9)))


def test_on_stdout_the_message_says_the_rows_sent_are_incomplete(tmp_path, capsys):
    with pytest.raises(HashFileError) as caught:
        _run(tmp_path, HEADER + _ok(0) + _runaway(5), out="-")
    assert str(caught.value).endswith("fix the quoting; the rows already written to stdout are incomplete")
    assert capsys.readouterr().out.count("\n") == 1


def test_no_value_reaches_the_message_or_the_report(tmp_path):
    report = _run(tmp_path, HEADER + _runaway(2) + _ok(1))
    text = json.dumps(report.as_dict()) + report.render()
    assert "x.io" not in text and "5550" not in text and "eaten" not in text
    with pytest.raises(HashFileError) as caught:
        _run(tmp_path, HEADER + _runaway(9))
    assert "x.io" not in str(caught.value) and "eaten" not in str(caught.value)


def test_a_quote_open_on_the_last_line_costs_that_row_only(tmp_path):
    report = _run(tmp_path, HEADER + _ok(0) + b'"open@x.io,5550100000,x')
    assert report.rows_written == 1 and report.lines_swallowed == 0
    assert "stray quotes: 0 line(s) taken in: row 3 (line 3) unterminated_quote" in report.render()
