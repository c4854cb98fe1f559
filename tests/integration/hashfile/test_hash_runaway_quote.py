"""``leadloop hash`` with a quote that never closes: no person may vanish without the run saying so.

The scenarios are the ones the hardening load test found: an unterminated quote early in a 60,000-row
file (the quoted field swallowed about half the file), and the same quote 100 rows before the end
(reported as one ragged row). Each must fail with a one-line reason naming the row and its lines,
leave OUT as it was, and print no value from the file.
"""

from __future__ import annotations

import json

import pytest

from leadloop_cli import main as cli

BROKEN = b'"broken@example.com,+14155550100\n'


@pytest.fixture(autouse=True)
def _hash_command(monkeypatch):
    modules = list(cli.COMMAND_MODULES)
    if "leadloop_cli.commands.hash" not in modules:
        modules.append("leadloop_cli.commands.hash")
    monkeypatch.setattr(cli, "COMMAND_MODULES", modules)


def _rows(first: int, count: int) -> bytes:
    return b"".join(b"person.%d@example.com,+1415555%04d\n" % (n, n % 10_000) for n in range(first, first + count))


def _run(tmp_path, data: bytes, *extra: str) -> tuple[int, str, object]:
    source = tmp_path / "crm.csv"
    source.write_bytes(data)
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    code = cli.main(["hash", str(source), "--schema", "EMAIL,PHONE", "--out", str(out), "--quiet", *extra])
    return code, str(out.read_text()), out


def test_an_early_unterminated_quote_fails_the_run_and_leaves_out_alone(tmp_path, capsys):
    code, out, _ = _run(tmp_path, b"email,phone_number\n" + BROKEN + _rows(0, 60_000))
    err = capsys.readouterr().err
    assert code == 1
    assert out == "previous\n"
    assert err.startswith("leadloop: hash: row 2 (lines 2-") and err.count("\n") == 1
    assert "unterminated_quote" in err and "OUT was not written" in err
    assert "example.com" not in err and "1415" not in err


def test_the_same_quote_near_the_end_fails_naming_all_its_lines(tmp_path, capsys):
    code, out, _ = _run(tmp_path, b"email,phone_number\n" + _rows(0, 1_000) + BROKEN + _rows(1_000, 100))
    err = capsys.readouterr().err
    assert code == 1 and out == "previous\n"
    assert "row 1,002 (lines 1,002-1,102)" in err and "100 line(s)" in err and "unterminated_quote" in err
    assert "example.com" not in err


def test_a_quote_closed_by_a_later_quote_that_restores_the_field_count_still_fails(tmp_path, capsys):
    """A stray quote closed by the next quoted field with one comma leaves a record of the right width."""
    data = (
        b"email,phone_number,address\n"
        + b'"broken@example.com,+14155550100,x\n'
        + b"".join(b"p%d@example.com,+1415555%04d,x\n" % (n, n) for n in range(50))
        + b'last@example.com,+14155550199,"1 Main St, Apt 2, Floor 3"\n'
        + b"after@example.com,+14155550198,x\n"
    )
    code, out, _ = _run(tmp_path, data)
    err = capsys.readouterr().err
    assert code == 1 and out == "previous\n"
    assert "row 2 (lines 2-53)" in err and "51 line(s)" in err
    assert "example.com" not in err and "Main" not in err


def test_a_broken_last_line_costs_one_reported_row(tmp_path, capsys):
    report_path = tmp_path / "report.json"
    data = b"email,phone_number\n" + _rows(0, 10) + b'x@example.com,"+14155550100\n'
    code, out, _ = _run(tmp_path, data, "--report", str(report_path))
    assert code == 0 and len(out.splitlines()) == 10
    report = json.loads(report_path.read_text())
    assert report["rows_rejected"] == {"unterminated_quote": {"count": 1, "rows": [12]}}
    assert report["lines_read"] == 12 and report["lines_swallowed"] == 0
    assert report["swallowed"] == [{"row": 12, "lines": [12, 12], "reason": "unterminated_quote"}]
    assert "example.com" not in report_path.read_text()


def test_a_quote_that_swallows_a_few_lines_is_reported_with_its_line_range(tmp_path, capsys):
    report_path = tmp_path / "report.json"
    data = b"email,phone_number\n" + _rows(0, 3)  # lines 1-4
    data += b'"a@example.com,+14155550100\nb@example.com,+14155550102\nc@example.com,"x"\n'  # lines 5-7: one record
    data += _rows(3, 3)  # lines 8-10
    code, out, _ = _run(tmp_path, data, "--report", str(report_path))
    assert code == 0 and len(out.splitlines()) == 6
    report = json.loads(report_path.read_text())
    assert report["rows_read"] == 7 and report["lines_read"] == 10 and report["lines_swallowed"] == 2
    assert report["rows_rejected"] == {"ragged_row": {"count": 1, "rows": [5]}}
    assert report["swallowed"] == [{"row": 5, "lines": [5, 7], "reason": "ragged_row"}]
    assert "example.com" not in report_path.read_text()
    assert capsys.readouterr().err == ""
