"""``leadloop hash`` on files that announce their encoding with a byte-order mark.

UTF-8 with a BOM and UTF-16/UTF-32 (either byte order) with one are read as they say, with no
option; an ``--encoding`` that contradicts the mark stops the run naming the right one; a UTF-16 file
without a mark gets the UTF-16 advice, not cp1252. Expected cells are the vectors of
test_hash_command (Meta's published and self-computed), so "é" in José proves the decoding.
"""

from __future__ import annotations

import json

import pytest

from leadloop_cli import main as cli

MARY_EMAIL = "f1904cf1a9d73a55fa5de0ac823c4403ded71afd4c3248d00bdcd0866552bb79"
PHONE_15559876543 = "1ef970831d7963307784fa8688e8fce101a15685d62aa765fed23f3a2c576a4e"
FN_JOSE = "d994e1d001886fe5b45b1267bd1fa2b752ac50742579bd3dad7b2a2aa0ed6866"
TEXT = "Email,Phone Number,First Name\r\nMary@Example.com,+1 (555) 987-6543,José\r\n"
ROW = [MARY_EMAIL, PHONE_15559876543, FN_JOSE]

# (codec that writes the BOM, the encoding the report names, how the messages call it)
MARKED = [
    ("utf-8-sig", "utf-8-sig", "UTF-8"),
    ("utf-16", "utf-16", "UTF-16 (little-endian)"),  # Python writes the native (little-endian) order
    ("utf-32", "utf-32", "UTF-32 (little-endian)"),
]


@pytest.fixture(autouse=True)
def _hash_command(monkeypatch):
    modules = list(cli.COMMAND_MODULES)
    if "leadloop_cli.commands.hash" not in modules:
        modules.append("leadloop_cli.commands.hash")
    monkeypatch.setattr(cli, "COMMAND_MODULES", modules)


def _hash(tmp_path, data: bytes, *extra: str) -> tuple[int, list[list[str]], dict]:
    source, out, report = tmp_path / "crm.csv", tmp_path / "out.jsonl", tmp_path / "report.json"
    source.write_bytes(data)
    argv = ["hash", str(source), "--schema", "EMAIL,PHONE,FN", "--out", str(out), "--report", str(report)]
    code = cli.main([*argv, "--quiet", *extra])
    rows = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
    return code, rows, json.loads(report.read_text()) if report.exists() else {}


@pytest.mark.parametrize(("codec", "used", "_label"), MARKED)
def test_a_file_with_a_bom_is_read_without_options(tmp_path, codec, used, _label):
    code, rows, report = _hash(tmp_path, TEXT.encode(codec))
    assert (code, rows) == (0, [ROW])
    assert report["encoding"] == used and report["rows_rejected"] == {}


@pytest.mark.parametrize("codec", ["utf-16-be", "utf-32-be"])
def test_big_endian_marks_too(tmp_path, codec):
    data = "\ufeff".encode(codec) + TEXT.encode(codec)
    code, rows, report = _hash(tmp_path, data)
    assert (code, rows) == (0, [ROW])
    assert report["encoding"] == codec[:6]


@pytest.mark.parametrize("given", ["utf-16", "UTF16", "utf-16-le"])
def test_an_encoding_that_agrees_with_the_mark_is_used(tmp_path, given):
    code, rows, report = _hash(tmp_path, TEXT.encode("utf-16"), "--encoding", given)
    assert (code, rows) == (0, [ROW])
    assert report["encoding"] == given


@pytest.mark.parametrize(("codec", "_used", "label"), MARKED[1:])
def test_an_encoding_that_contradicts_the_mark_stops_the_run_naming_the_right_one(
    tmp_path, capsys, codec, _used, label
):
    code, rows, _ = _hash(tmp_path, TEXT.encode(codec), "--encoding", "cp1252")
    assert code == 1 and rows == []
    name = codec.upper()
    assert capsys.readouterr().err == (
        f"leadloop: hash: the input starts with a {label} byte-order mark but --encoding is cp1252; "
        f"use --encoding {codec} (or leave --encoding out)\n"
    )
    assert name in label


def test_a_utf16_file_without_a_mark_is_pointed_at_utf16_not_cp1252(tmp_path, capsys):
    for codec in ("utf-16-le", "utf-16-be", "utf-32-le"):
        code, _, _ = _hash(tmp_path, TEXT.encode(codec))
        err = capsys.readouterr().err
        assert code == 1
        assert f"NUL characters: is the file {codec} without a byte-order mark? try --encoding {codec}" in err
        assert "cp1252" not in err and "Mary" not in err
