"""CsvFileReader: record boundaries, row numbers, encodings, and bounded damage from bad rows."""

from __future__ import annotations

import csv
import io
import sys

import pytest

from leadloop_cli.hashfile import reader
from leadloop_cli.hashfile.errors import HashFileError
from leadloop_cli.hashfile.reader import CsvFileReader, Row, has_undecodable


def _read(tmp_path, data: bytes, **kwargs) -> tuple[list[str], list[Row]]:
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    with CsvFileReader(str(path), **kwargs) as source:
        return source.header(), list(source.rows())


def test_rows_are_numbered_like_a_spreadsheet(tmp_path):
    header, rows = _read(tmp_path, b'email,note\r\na@x.io,"two\r\nlines"\r\n\r\nb@x.io,x\r\n')
    assert header == ["email", "note"]
    assert rows == [
        Row(2, ["a@x.io", "two\r\nlines"], line=2, end_line=3),
        Row(3, [], line=4, end_line=4),
        Row(4, ["b@x.io", "x"], line=5, end_line=5),
    ]


def test_cr_only_line_endings_and_missing_final_newline(tmp_path):
    _, rows = _read(tmp_path, b"email\ra@x.io\rb@x.io")
    assert [row.fields for row in rows] == [["a@x.io"], ["b@x.io"]]


def test_bom_is_dropped_with_the_default_and_with_plain_utf8(tmp_path):
    assert _read(tmp_path, b"\xef\xbb\xbfEmail ,phone\n")[0] == ["Email", "phone"]
    assert _read(tmp_path, b"\xef\xbb\xbfEmail,phone\n", encoding="utf-8")[0] == ["Email", "phone"]


def test_invalid_utf8_marks_only_that_row(tmp_path):
    _, rows = _read(tmp_path, b"fn,ct\nJos\xe9,Lyon\nAnna,K\xc3\xb6ln\n")
    assert has_undecodable(rows[0].fields[0]) and not has_undecodable(rows[0].fields[1])
    assert rows[1].fields == ["Anna", "Köln"] and not has_undecodable("Köln")


def test_other_encodings(tmp_path):
    assert _read(tmp_path, "fn\nJosé\n".encode("cp1252"), encoding="cp1252")[1][0].fields == ["José"]
    assert _read(tmp_path, "fn;ct\nJosé;Köln\n".encode("utf-16"), encoding="utf-16", delimiter=";")[1][0].fields == [
        "José",
        "Köln",
    ]


def test_undecodable_stream_is_an_error_naming_the_row(tmp_path):
    with pytest.raises(HashFileError, match="row 3: the input cannot be decoded as utf-16"):
        _read(tmp_path, "fn\nA\n".encode("utf-16") + b"\x00", encoding="utf-16")


def test_unknown_encoding(tmp_path):
    with pytest.raises(HashFileError, match="unknown --encoding 'klingon'"):
        CsvFileReader(str(tmp_path / "x.csv"), encoding="klingon")


def test_field_over_the_limit_costs_one_row(tmp_path):
    big = b"x" * (reader.MAX_FIELD_CHARS + 1)
    _, rows = _read(tmp_path, b"email,note\na@x.io," + big + b"\nb@x.io,ok\n")
    assert rows == [Row(2, [], "field_too_large", line=2, end_line=2), Row(3, ["b@x.io", "ok"], line=3, end_line=3)]


def test_field_between_csv_default_and_our_limit_is_kept(tmp_path):
    note = "n" * 200_000
    _, rows = _read(tmp_path, f"email,note\na@x.io,{note}\n".encode())
    assert rows[0].fields[1] == note


def test_physical_line_over_the_limit_is_skipped_without_holding_it(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_ROW_CHARS", 5000)
    long_line = b",".join([b"y" * 99] * 300)
    _, rows = _read(tmp_path, b"email,note\n" + long_line + b"\nb@x.io,ok\n")
    assert rows == [Row(2, [], "row_too_large", line=2, end_line=2), Row(3, ["b@x.io", "ok"], line=3, end_line=3)]


def test_record_spanning_lines_over_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_ROW_CHARS", 5000)
    part = b'"' + b"z\n" * 900 + b'"'
    _, rows = _read(tmp_path, b"a,b,c\n" + b",".join([part, part, part]) + b"\n1,2,3\n")
    assert rows[0][:3] == (2, [], "row_too_large")
    # Documented limit: what is left of that record is read as further (ragged) rows, bounded too.
    assert len(rows) > 1
    assert all(len(row.fields) != 3 or row.fields == ["1", "2", "3"] for row in rows)


def test_field_limit_is_restored(tmp_path):
    before = csv.field_size_limit()
    _read(tmp_path, b"a\n1\n")
    assert csv.field_size_limit() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [(b"", "the input is empty"), (b"\n\nemail\n", "row 1 is blank"), (b" , \n", "row 1 is blank")],
)
def test_unusable_header(tmp_path, data, message):
    with pytest.raises(HashFileError, match=message):
        _read(tmp_path, data)


def test_missing_file_and_directory(tmp_path):
    with (
        pytest.raises(HashFileError, match=r"cannot read .*nope\.csv: No such file"),
        CsvFileReader(str(tmp_path / "nope.csv")),
    ):
        pass
    with pytest.raises(HashFileError, match="cannot read"), CsvFileReader(str(tmp_path)):
        pass


def test_sizes_for_progress(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b"email\n" + b"a@x.io\n" * 1000)
    with CsvFileReader(str(path)) as source:
        source.header()
        assert source.total_bytes == path.stat().st_size
        list(source.rows())
        assert source.bytes_read() == path.stat().st_size


def test_stdin_is_read_and_left_open(monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(b"email\na@x.io\n"))
    monkeypatch.setattr(sys, "stdin", stdin)
    with CsvFileReader("-") as source:
        assert source.header() == ["email"]
        assert [row.fields for row in source.rows()] == [["a@x.io"]]
        assert source.total_bytes is None and source.bytes_read() is None
    assert not stdin.buffer.closed


# ---------------------------------------------------------------------- physical lines
def _spans(rows: list[Row]) -> list[tuple[int, int, int, str | None]]:
    return [(row.number, row.line, row.end_line, row.problem) for row in rows]


def test_every_record_knows_its_physical_lines(tmp_path):
    data = b'email,note\r\na@x.io,"two\r\nlines"\r\n\r\nb@x.io,"three\rold mac\nlines"\nc@x.io,x'
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    with CsvFileReader(str(path)) as source:
        assert source.header() == ["email", "note"]
        rows = list(source.rows())
        assert source.lines_read == 8
    assert _spans(rows) == [(2, 2, 3, None), (3, 4, 4, None), (4, 5, 7, None), (5, 8, 8, None)]
    assert rows[2].fields == ["b@x.io", "three\rold mac\nlines"]


def test_a_quote_still_open_at_the_end_of_the_file_is_unterminated(tmp_path):
    _, rows = _read(tmp_path, b'email,note\na@x.io,ok\n"b@x.io,runs\nc@x.io,on\nd@x.io,to the end\n')
    assert _spans(rows) == [(2, 2, 2, None), (3, 3, 5, "unterminated_quote")]
    assert rows[1].fields == []  # the record's fields are not trusted (nor kept)


def test_an_open_quote_on_the_last_line_without_newline(tmp_path):
    _, rows = _read(tmp_path, b'email,note\na@x.io,"ok')
    assert _spans(rows) == [(2, 2, 2, "unterminated_quote")]


def test_a_quoted_field_over_the_limit_across_lines_is_an_unterminated_quote(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_FIELD_CHARS", 1000)
    lines = b"".join(b"line %d of a runaway field\n" % i for i in range(200))
    _, rows = _read(tmp_path, b'email,note\na@x.io,"' + lines)
    first = rows[0]
    assert (first.number, first.line, first.problem) == (2, 2, "unterminated_quote")
    assert first.end_line > 30  # the record took in every line up to the limit
    assert rows[1].line == first.end_line + 1  # and parsing resumed on the next physical line
    assert sum(row.end_line - row.line + 1 for row in rows) == 200  # every line is in some record
