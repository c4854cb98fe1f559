"""S3CsvRows: header mapping, CSV dialect details, and resuming at a byte offset without losing a row."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from leadloop.audience import hash_row
from leadloop.replace import sources
from leadloop.replace.errors import InvalidReplaceInput
from leadloop.replace.sources import S3CsvRows
from tests.support.moto_stack import UNIT_BUCKET as BUCKET

MAPPING = {"Id": "EXTERN_ID", "Email": "EMAIL"}


def put(s3: Any, body: bytes | str, key: str = "in.csv") -> str:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode() if isinstance(body, str) else body)
    return key


def source(s3: Any, key: str, mapping: dict[str, str] | None = None, cursor: Any = None) -> S3CsvRows:
    return S3CsvRows(s3, BUCKET, key, mapping or MAPPING, default_country=None, cursor=cursor)


def cells(src: S3CsvRows, limit: int | None = None) -> list[list[str]]:
    return [row.cells for row in itertools.islice(src.rows(), limit)]


def expected(*records: tuple[str, str]) -> list[list[str]]:
    """The rows of (id, email) records, hashed independently of the CSV reading."""
    return [hash_row({"EXTERN_ID": i, "EMAIL": e}, ["EXTERN_ID", "EMAIL"]).cells for i, e in records]


# ---------------------------------------------------------------------- header
def test_schema_follows_the_mapping_order(s3: Any) -> None:
    assert source(s3, "any.csv").schema == ["EXTERN_ID", "EMAIL"]


def test_header_matched_case_and_whitespace_insensitively_after_a_bom(s3: Any) -> None:
    key = put(s3, "\ufeff  EMAIL ,Other, id \na@example.com,zzz,7\n")
    src = source(s3, key, {" email": "EMAIL", "ID": "EXTERN_ID"})
    assert cells(src) == [hash_row({"EMAIL": "a@example.com", "EXTERN_ID": "7"}, ["EMAIL", "EXTERN_ID"]).cells]
    assert src.cursor()["columns"] == [0, 2]


def test_a_bom_before_a_quoted_header_is_dropped(s3: Any) -> None:
    key = put(s3, '\ufeff"Id","Email"\r\n1,a@example.com\r\n')
    assert cells(source(s3, key)) == expected(("1", "a@example.com"))


def test_a_mapped_name_matches_a_header_written_with_other_punctuation_as_leadloop_hash_does(s3: Any) -> None:
    # Given a header "E-mail Address" and a mapping that spells it "e mail address"
    key = put(s3, "Id,E-mail Address\n7,a@example.com\n")
    # When the rows are read
    src = source(s3, key, {"Id": "EXTERN_ID", "e mail address": "EMAIL"})
    # Then the column is found by its canonical form
    assert cells(src) == expected(("7", "a@example.com"))


def test_an_exact_header_name_wins_over_a_canonical_twin(s3: Any) -> None:
    # Given two columns whose names differ only in punctuation
    key = put(s3, "Id,E-mail,E mail\n7,first@example.com,second@example.com\n")
    # When the mapping names one of them exactly
    src = source(s3, key, {"Id": "EXTERN_ID", "E mail": "EMAIL"})
    # Then that column is read
    assert cells(src) == expected(("7", "second@example.com"))


def test_a_mapped_name_matching_several_columns_is_refused_by_name(s3: Any) -> None:
    # Given two columns that are the same name in canonical form, neither spelled as mapped
    key = put(s3, "Id,E-mail,E mail\n7,first@example.com,second@example.com\n")
    # When the mapping names them loosely
    with pytest.raises(InvalidReplaceInput) as caught:
        cells(source(s3, key, {"Id": "EXTERN_ID", "e_mail": "EMAIL"}))
    # Then the refusal names the mapped column, and no value
    assert "match several header columns; map the exact header name: e_mail" in str(caught.value)
    assert "example.com" not in str(caught.value)


def test_missing_mapped_column_names_the_column_but_no_value(s3: Any) -> None:
    key = put(s3, "Id,Mail\n1,secret.person@example.com\n")
    with pytest.raises(InvalidReplaceInput) as caught:
        cells(source(s3, key, {"Id": "EXTERN_ID", "Email": "EMAIL", "Phone": "PHONE"}))
    message = str(caught.value)
    assert "Email" in message and "Phone" in message and "2 mapped column" in message
    assert "secret" not in message and "Mail" not in message


def test_missing_object_is_invalid_input(s3: Any) -> None:
    with pytest.raises(InvalidReplaceInput, match="NoSuchKey"):
        cells(source(s3, "absent.csv"))


def test_missing_bucket_is_invalid_input(s3: Any) -> None:
    src = S3CsvRows(s3, "no-such-bucket-here", "a.csv", MAPPING, default_country=None)
    with pytest.raises(InvalidReplaceInput, match="NoSuchBucket"):
        cells(src)


def test_empty_object_yields_nothing_and_is_done(s3: Any) -> None:
    src = source(s3, put(s3, b""))
    assert cells(src) == []
    assert src.cursor()["done"] is True


def test_header_only_object_yields_nothing(s3: Any) -> None:
    src = source(s3, put(s3, "Id,Email\r\n"))
    assert cells(src) == []
    assert src.cursor()["done"] is True and src.records == 0


# ---------------------------------------------------------------------- dialect
def test_quoted_fields_keep_commas_and_newlines(s3: Any) -> None:
    key = put(s3, 'Id,Email\n"a,b",x@example.com\n"line1\nline2\r\nline3",y@example.com\n"say ""hi""",\n')
    assert cells(source(s3, key)) == expected(
        ("a,b", "x@example.com"), ("line1\nline2\r\nline3", "y@example.com"), ('say "hi"', "")
    )


def test_crlf_line_endings(s3: Any) -> None:
    key = put(s3, "Id,Email\r\n1,a@example.com\r\n2,b@example.com\r\n")
    assert cells(source(s3, key)) == expected(("1", "a@example.com"), ("2", "b@example.com"))


def test_bare_cr_line_endings(s3: Any) -> None:
    key = put(s3, "Id,Email\r1,a@example.com\r2,b@example.com")
    assert cells(source(s3, key)) == expected(("1", "a@example.com"), ("2", "b@example.com"))


def test_last_record_without_trailing_newline(s3: Any) -> None:
    body = "Id,Email\n1,a@example.com\n2,b@example.com"
    src = source(s3, put(s3, body))
    assert cells(src) == expected(("1", "a@example.com"), ("2", "b@example.com"))
    assert src.cursor() == {"offset": len(body), "columns": [0, 1], "width": 2, "done": True}


def test_blank_and_whitespace_lines_are_skipped(s3: Any) -> None:
    key = put(s3, "Id,Email\n\n1,a@example.com\n   \n,\n\r\n2,b@example.com\n\n")
    src = source(s3, key)
    assert cells(src) == expected(("1", "a@example.com"), ("2", "b@example.com"))
    assert src.records == 2


def test_short_row_is_padded_with_empty_cells(s3: Any) -> None:
    key = put(s3, "Email,Other,Id\na@example.com\nb@example.com,x\n")
    assert cells(source(s3, key)) == expected(("", "a@example.com"), ("", "b@example.com"))


def test_invalid_utf8_is_replaced_not_fatal(s3: Any) -> None:
    key = put(s3, b"Id,Email\nab\xffc,a@example.com\n")
    assert cells(source(s3, key)) == expected(("ab\ufffdc", "a@example.com"))


# ---------------------------------------------------------------------- resuming
TRICKY = (
    "\ufeffId,Email\r\n"
    "1,a@example.com\r\n"
    '"two\r\nlines, and a comma",b@example.com\r\n'
    "\r\n"
    "3,c@example.com\n"
    '"4 ""quoted""\n\n\nwith blank lines inside",d@example.com\n'
    "Zoë-5,é@example.com\r"
    "6\r\n"
    '"7 long ' + "x" * 40 + '\r\n",g@example.com\r\n'
    "\n"
    "8,h@example.com\r\n"
    "9,i@example.com"
)


@pytest.mark.parametrize("block", [1, 2, 3, 5, 8, 13, 64, 1024 * 1024])
def test_resuming_at_any_row_loses_and_repeats_nothing(s3: Any, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(sources, "_READ_BYTES", block)
    key = put(s3, TRICKY)
    full = cells(source(s3, key))
    assert len(full) == 9
    assert full[1][0] == "two\r\nlines, and a comma" and full[3][0] == '4 "quoted"\n\n\nwith blank lines inside'
    for taken in range(len(full) + 1):
        first = source(s3, key)
        head = cells(first, taken)
        cursor = json.loads(json.dumps(first.cursor()))  # the cursor travels in the state document
        rest = cells(source(s3, key, cursor=cursor))
        assert head + rest == full, f"resumed after {taken} rows"


@pytest.mark.parametrize("block", [1, 4, 7])
def test_resuming_every_row_through_many_invocations(s3: Any, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    monkeypatch.setattr(sources, "_READ_BYTES", block)
    key = put(s3, TRICKY.encode("utf-8"))
    full = cells(source(s3, key))
    got: list[list[str]] = []
    cursor: dict[str, Any] | None = None
    for _ in range(100):
        src = source(s3, key, cursor=cursor)
        got += cells(src, 1)
        cursor = src.cursor()
        if cursor["done"]:
            break
    assert got == full
    assert cursor is not None and cursor["done"] is True


def test_a_multiline_record_straddling_read_blocks(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records far longer than a block, and a CR LF split across two blocks, each resumed around.

    The long multi-line value is in an unmapped column (a mapped one may span 3 extra lines at most).
    """
    monkeypatch.setattr(sources, "_READ_BYTES", 16)
    long_value = "\r\n".join(f"part {n}, with a comma" for n in range(20))
    body = f'Id,Notes,Email\r\n0,,a@example.com\r\n1,"{long_value}",b@example.com\r\n2,,c@example.com\r\n'
    key = put(s3, body)
    full = cells(source(s3, key))
    assert full == expected(("0", "a@example.com"), ("1", "b@example.com"), ("2", "c@example.com"))
    for taken in range(4):
        first = source(s3, key)
        head = cells(first, taken)
        assert head + cells(source(s3, key, cursor=first.cursor())) == full


def test_cursor_is_at_the_end_of_the_last_record_read(s3: Any) -> None:
    header, one, two = "Id,Email\r\n", '"1\r\n1",a@example.com\r\n', "2,b@example.com\r\n"
    src = source(s3, put(s3, header + one + two))
    assert cells(src, 1) == expected(("1\r\n1", "a@example.com"))
    assert src.cursor() == {"offset": len(header) + len(one), "columns": [0, 1], "width": 2, "done": False}


def test_done_cursor_reads_nothing(s3: Any) -> None:
    key = put(s3, "Id,Email\n1,a@example.com\n")
    assert cells(source(s3, key, cursor={"offset": 0, "columns": None, "done": True})) == []


def test_cursor_at_the_end_of_the_object_reads_nothing(s3: Any) -> None:
    body = "Id,Email\n1,a@example.com\n"
    src = source(s3, put(s3, body), cursor={"offset": len(body), "columns": [0, 1], "done": False})
    assert cells(src) == []
    assert src.cursor()["done"] is True


def test_an_unterminated_quote_swallowing_a_large_file_is_invalid_input(s3: Any) -> None:
    """The csv module refuses a field over its limit: that is the file's fault, not a retryable failure."""
    lines = "".join(f"{n},secret.{n}@example.com\n" for n in range(60_000))
    key = put(s3, 'Id,Email\n1,a@example.com\n"2,b@example.com\n' + lines)
    src = source(s3, key)
    rows = src.rows()
    assert next(rows).cells == expected(("1", "a@example.com"))[0]
    with pytest.raises(InvalidReplaceInput) as caught:
        next(rows)
    assert "in.csv" in str(caught.value) and "secret" not in str(caught.value)


# ---------------------------------------------------------------------- runaway quotes
def _people(first: int, count: int) -> str:
    return "".join(f"{n},secret.{n}@example.com\n" for n in range(first, first + count))


def _refused(src: S3CsvRows) -> str:
    with pytest.raises(InvalidReplaceInput) as caught:
        cells(src)
    message = str(caught.value)
    assert "secret" not in message and "example.com" not in message
    return message


def test_a_quote_open_until_the_end_of_the_object_is_invalid_input(s3: Any) -> None:
    """Near the end, the quote swallows the last 100 people instead of hitting the field limit."""
    head = "Id,Email\n" + _people(0, 1_000)
    key = put(s3, head + '"1000,secret.broken@example.com\n' + _people(1_001, 100))
    message = _refused(source(s3, key))
    assert message == (
        f"s3://{BUCKET}/in.csv: the record at byte {len(head):,} runs over 101 line(s) to the end of the "
        "object inside a quote (unterminated_quote); fix the quoting"
    )


def test_a_quote_open_on_the_last_line_is_invalid_input(s3: Any) -> None:
    key = put(s3, 'Id,Email\n1,a@example.com\n2,"secret.b@example.com')
    assert "runs over 1 line(s) to the end of the object inside a quote" in _refused(source(s3, key))


def test_a_quote_closed_lines_later_with_the_wrong_field_count_is_invalid_input(s3: Any) -> None:
    body = "Id,Email\n" + _people(0, 2) + '"2,secret.x@example.com\n3,secret.y@example.com"\n' + _people(4, 2)
    message = _refused(source(s3, put(s3, body)))
    assert message.endswith(
        "spans 2 line(s) and has 1 field(s) where the header has 2: a quote that does not close where it "
        "should; fix the quoting"
    )


def test_a_quote_closed_lines_later_with_the_right_field_count_is_invalid_input(s3: Any) -> None:
    """The quote around "x, y" closes the stray one and restores the field count: the Id cell spans 12 lines."""
    key = put(s3, "Id,Email\n" + '"1,secret.x@example.com\n' + _people(2, 10) + '12,"x, y"\n')
    message = _refused(source(s3, key))
    assert "the record at byte 9 spans 12 line(s) with line breaks in a mapped column" in message
    assert "(at most 3 extra allowed)" in message


def test_line_breaks_in_unmapped_columns_are_ordinary_values(s3: Any) -> None:
    notes = "\n".join(f"note {n}" for n in range(40))
    key = put(s3, f'Id,Notes,Email\n1,"{notes}",a@example.com\n2,,b@example.com\n')
    assert cells(source(s3, key)) == expected(("1", "a@example.com"), ("2", "b@example.com"))


def test_the_header_width_survives_a_resume(s3: Any) -> None:
    body = "Id,Email\n" + _people(0, 3) + '"3,secret.x@example.com\n4,secret.y@example.com"\n'
    first = source(s3, put(s3, body))
    assert len(cells(first, 2)) == 2
    cursor = json.loads(json.dumps(first.cursor()))
    assert cursor["width"] == 2
    assert "has 1 field(s) where the header has 2" in _refused(source(s3, "in.csv", cursor=cursor))


def test_a_cursor_from_before_widths_were_kept_still_resumes(s3: Any) -> None:
    body = "Id,Email\n1,a@example.com\n2,b@example.com\n"
    src = source(
        s3, put(s3, body), cursor={"offset": len("Id,Email\n1,a@example.com\n"), "columns": [0, 1], "done": False}
    )
    assert cells(src) == expected(("2", "b@example.com"))


def test_a_utf16_object_is_refused_naming_its_encoding(s3: Any) -> None:
    for encoding, name in (("utf-16", "UTF-16"), ("utf-32", "UTF-32")):
        key = put(s3, "Id,Email\n1,secret.a@example.com\n".encode(encoding))
        message = _refused(source(s3, key))
        assert message == (
            f"s3://{BUCKET}/in.csv starts with a {name} byte-order mark; the replace reads UTF-8 CSV: "
            "save it as UTF-8 (or convert it, e.g. iconv -f " + name + " -t UTF-8)"
        )
