"""hash_file with a stand-in hasher: rejection policy, commit rule, bookkeeping, bounded memory."""

from __future__ import annotations

import io
import json
import tracemalloc

import pytest

from leadloop_cli.hashfile import HashFileError, HashOptions, Progress, hash_file

from .fakes import FakeHasher, sha

MIXED = (
    b"Email,Phone,First Name,Notes\n"  # row 1
    b"ann@x.io,+1 555 010 0001,Ann,ok\n"  # 2: clean
    b"not-an-email,555-0100-22,Bob,\n"  # 3: EMAIL rejected, row kept
    b"cy@x.io,12,Cy,too,many\n"  # 4: ragged (5 fields)
    b"\n"  # 5: blank line
    b"Jos\xe9@x.io,5550100333,Jos\xe9,latin-1 bytes\n"  # 6: bad encoding in mapped cells
    b"dee@x.io,5550100444,Dee,caf\xe9\n"  # 7: bad bytes only in an unmapped column: kept
    b",,,\n"  # 8: every cell empty
    b"bad,12,,\n"  # 9: present but all invalid -> empty row + two cell rejections
    b'eve@x.io,5550100555,"Eve\nMarie",two-line name\n'  # 10: quoted newline, one row
)


def _run(tmp_path, data: bytes, schema=("EMAIL", "PHONE", "FN"), hasher=None, **options):
    source = tmp_path / "in.csv"
    source.write_bytes(data)
    out = tmp_path / "out.jsonl"
    hasher = hasher or FakeHasher()
    opts = HashOptions(input=str(source), out=str(out), schema=schema, **options)
    report = hash_file(opts, hasher=hasher, progress=Progress(io.StringIO(), "off"))
    return report, out


def _rows(out) -> list[list[str]]:
    return [json.loads(line) for line in out.read_text().splitlines()]


def test_mixed_quality_file(tmp_path):
    report, out = _run(tmp_path, MIXED)
    assert _rows(out) == [
        [sha("ann@x.io"), sha("+1 555 010 0001"), sha("ann")],
        ["", sha("555-0100-22"), sha("bob")],
        [sha("dee@x.io"), sha("5550100444"), sha("dee")],
        [sha("eve@x.io"), sha("5550100555"), sha("eve\nmarie")],
    ]
    data = report.as_dict()
    assert data["rows_read"] == 9 and data["rows_written"] == 4 and data["output_written"]
    assert data["rows_rejected"] == {
        "bad_encoding": {"count": 1, "rows": [6]},
        "empty_row": {"count": 3, "rows": [5, 8, 9]},
        "ragged_row": {"count": 1, "rows": [4]},
    }
    assert data["cells_rejected"] == {
        "EMAIL": {"invalid_email": {"count": 2, "rows": [3, 9]}},
        "PHONE": {"invalid_phone": {"count": 1, "rows": [9]}},
    }
    assert data["columns"] == {"EMAIL": "Email", "PHONE": "Phone", "FN": "First Name"}
    assert report.rows_read == report.rows_written + report.rows_rejected_total


def test_no_value_reaches_the_report(tmp_path):
    report, _ = _run(tmp_path, MIXED)
    text = json.dumps(report.as_dict()) + report.render()
    for value in ("ann", "not-an-email", "555", "Bob", "Jos", "caf", "Marie"):
        assert value not in text


def test_options_reach_the_hasher(tmp_path):
    hasher = FakeHasher()
    _run(tmp_path, MIXED, hasher=hasher, default_country="GB", prehashed=frozenset({"EMAIL"}))
    assert hasher.calls[0] == {"default_country": "GB", "prehashed": {"EMAIL"}}


def test_map_and_delimiter(tmp_path):
    _, out = _run(
        tmp_path,
        b"id;Handy\n7;5550100999\n",
        schema=("PHONE", "EXTERN_ID"),
        delimiter=";",
        overrides=(("Handy", "PHONE"), ("id", "EXTERN_ID")),
    )
    assert _rows(out) == [[sha("5550100999"), "7"]]


def test_nothing_to_write_leaves_out_untouched(tmp_path):
    (tmp_path / "out.jsonl").write_text("previous run\n")
    report, out = _run(tmp_path, b"email\nnope\n\n", schema=("EMAIL",))
    assert report.rows_written == 0 and not report.output_written
    assert out.read_text() == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.jsonl"]


def test_header_only(tmp_path):
    report, out = _run(tmp_path, b"email,phone,fn\n")
    assert report.rows_read == 0 and not out.exists()


def test_mapping_errors_come_before_any_output(tmp_path):
    with pytest.raises(HashFileError, match="no column for schema key"):
        _run(tmp_path, b"email\na@x.io\n", schema=("EMAIL", "ZIP"))
    assert not (tmp_path / "out.jsonl").exists()


def test_a_crash_mid_run_leaves_no_partial_output(tmp_path):
    class Exploding(FakeHasher):
        def __call__(self, record, schema, **kwargs):
            if len(self.calls) == 50:
                raise RuntimeError("boom")
            return super().__call__(record, schema, **kwargs)

    (tmp_path / "out.jsonl").write_text("previous run\n")
    with pytest.raises(RuntimeError):
        _run(tmp_path, b"email\n" + b"a@x.io\n" * 100, schema=("EMAIL",), hasher=Exploding())
    assert (tmp_path / "out.jsonl").read_text() == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.jsonl"]


def test_output_to_the_input_is_refused(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("email\na@x.io\n")
    options = HashOptions(input=str(source), out=str(source), schema=("EMAIL",))
    with pytest.raises(HashFileError, match="is the input file"):
        hash_file(options, hasher=FakeHasher(), progress=Progress(io.StringIO(), "off"))


def test_memory_does_not_grow_with_the_file(tmp_path):
    def peak(rows: int) -> int:
        body = b"".join(b"user%d@x.io,+1555%07d,Name%d\n" % (i, i, i) for i in range(rows))
        source = tmp_path / f"in{rows}.csv"
        source.write_bytes(b"email,phone,first_name\n" + body)
        options = HashOptions(input=str(source), out=str(tmp_path / "out.jsonl"), schema=("EMAIL", "PHONE", "FN"))
        tracemalloc.start()
        try:
            hash_file(options, hasher=_lite_hasher, progress=Progress(io.StringIO(), "off"))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(2_000), peak(40_000)
    assert large < small + 256 * 1024, (small, large)


def _lite_hasher(record, schema, *, default_country=None, prehashed=()):
    return FakeHasherLite(record, schema)


class FakeHasherLite:
    """The cheapest possible hasher result, so the memory test measures the pipeline."""

    rejected: tuple[()] = ()

    def __init__(self, record, schema):
        self.cells = [record[key] for key in schema]


def test_country_column_reaches_the_hasher_as_a_hint(tmp_path):
    seen = []

    def hasher(record, schema, *, default_country=None, prehashed=()):
        seen.append(dict(record))
        return FakeHasherLite(record, schema)

    report, out = _run(tmp_path, b"phone,country\n5550100,GB\n", schema=("PHONE",), hasher=hasher)
    assert seen == [{"PHONE": "5550100", "COUNTRY": "GB"}]
    assert _rows(out) == [["5550100"]] and report.country_hint_column == "country"
