"""Byte-order marks pick the codec; a contradicting --encoding is refused; BOM-less UTF-16 gets the right advice."""

from __future__ import annotations

import io
import sys

import pytest

from leadloop_cli.hashfile.encoding import choose_encoding, peek_start, sniff_bom, wide_hint
from leadloop_cli.hashfile.errors import HashFileError
from leadloop_cli.hashfile.reader import CsvFileReader

TEXT = "fn,ct\nJosé,Köln\n"


@pytest.mark.parametrize(
    ("start", "codec"),
    [
        (b"\xff\xfe\x00\x00f\x00\x00\x00", "utf-32"),
        (b"\x00\x00\xfe\xff\x00\x00\x00f", "utf-32"),
        (b"\xef\xbb\xbffn,", "utf-8-sig"),
        (b"\xff\xfef\x00", "utf-16"),
        (b"\xfe\xff\x00f", "utf-16"),
        (b"fn,c", "utf-8-sig"),
        (b"", "utf-8-sig"),
    ],
)
def test_the_mark_chooses_the_codec(start, codec):
    assert choose_encoding(start, None) == codec


def test_a_requested_encoding_is_kept_when_no_mark_contradicts_it():
    assert choose_encoding(b"fn,c", "cp1252") == "cp1252"
    assert choose_encoding(b"\xff\xfef\x00", "UTF-16LE") == "UTF-16LE"
    assert choose_encoding(b"\xef\xbb\xbffn", "utf8") == "utf8"


def test_a_contradicting_encoding_names_the_mark_and_the_fix():
    with pytest.raises(HashFileError) as caught:
        choose_encoding(b"\xfe\xff\x00f", "utf-16-le")
    assert str(caught.value) == (
        "the input starts with a UTF-16 (big-endian) byte-order mark but --encoding is utf-16-le; "
        "use --encoding utf-16 (or leave --encoding out)"
    )
    assert sniff_bom(b"\xfe\xff") is not None and sniff_bom(b"\xfe") is None


@pytest.mark.parametrize("codec", ["utf-16", "utf-32", "utf-8-sig"])
def test_the_reader_uses_the_mark_and_drops_it(tmp_path, codec):
    path = tmp_path / "in.csv"
    path.write_bytes(TEXT.encode(codec))
    with CsvFileReader(str(path)) as source:
        assert source.encoding == codec
        assert source.header() == ["fn", "ct"]
        assert [row.fields for row in source.rows()] == [["José", "Köln"]]


def test_a_refused_mark_closes_the_file(tmp_path, monkeypatch):
    path = tmp_path / "in.csv"
    path.write_bytes(TEXT.encode("utf-16"))
    opened = []
    real_open = open

    def tracking_open(*args, **kwargs):
        handle = real_open(*args, **kwargs)
        opened.append(handle)
        return handle

    monkeypatch.setattr("builtins.open", tracking_open)
    with pytest.raises(HashFileError, match="byte-order mark"), CsvFileReader(str(path), encoding="cp1252"):
        pass
    assert opened and all(handle.closed for handle in opened)


@pytest.mark.parametrize("buffered", [True, False])
def test_stdin_with_a_mark(monkeypatch, buffered):
    raw = io.BytesIO(TEXT.encode("utf-16"))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(raw) if buffered else raw))
    with CsvFileReader("-") as source:
        assert source.encoding == "utf-16"
        assert source.header() == ["fn", "ct"]
        assert [row.fields for row in source.rows()] == [["José", "Köln"]]


def test_peek_leaves_the_bytes_unread():
    buffered = io.BufferedReader(io.BytesIO(b"\xff\xfeabc"))
    assert peek_start(buffered) == b"\xff\xfeab" and buffered.read() == b"\xff\xfeabc"
    plain = io.BytesIO(b"xyz12")
    plain.read(1)
    assert peek_start(plain) == b"yz12" and plain.read() == b"yz12"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_wide_text_without_a_mark_is_recognised(codec):
    header = "email,phone".encode(codec).decode("utf-8").split(",")
    assert wide_hint(header) == codec


def test_ordinary_headers_get_no_wide_hint():
    assert wide_hint(["email", "phone"]) is None
    assert wide_hint(["e"]) is None
