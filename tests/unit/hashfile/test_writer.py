"""JsonlWriter: rows appear whole or not at all."""

from __future__ import annotations

import io
import json
import os
import stat

import pytest

from leadloop_cli.hashfile.errors import HashFileError, OutputClosed
from leadloop_cli.hashfile.writer import JsonlWriter, check_output_path, write_text_atomic


def _leftovers(directory) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".partial")]


def test_committed_rows_are_json_lines_in_ascii(tmp_path):
    out = tmp_path / "out.jsonl"
    with JsonlWriter(str(out)) as writer:
        writer.write(["ab", "", "Zoë"])
        writer.write(["cd", "x", ""])
        assert not out.exists()
        writer.commit()
    raw = out.read_bytes()
    assert raw == b'["ab","","Zo\\u00eb"]\n["cd","x",""]\n'
    assert json.loads(raw.splitlines()[0])[2] == "Zoë"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert _leftovers(tmp_path) == []


def test_a_failed_run_leaves_the_old_file_and_no_temp(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")
    with pytest.raises(RuntimeError), JsonlWriter(str(out)) as writer:
        writer.write(["new"])
        raise RuntimeError("boom")
    assert out.read_text() == "previous\n"
    assert _leftovers(tmp_path) == []


def test_uncommitted_writer_writes_nothing(tmp_path):
    out = tmp_path / "out.jsonl"
    with JsonlWriter(str(out)) as writer:
        writer.write(["x"])
    assert not out.exists() and _leftovers(tmp_path) == []


def test_replacing_keeps_the_existing_mode(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("old\n")
    os.chmod(out, 0o644)
    with JsonlWriter(str(out)) as writer:
        writer.write(["x"])
        writer.commit()
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert out.read_text() == '["x"]\n'


def test_dash_streams_to_stdout(capsys):
    with JsonlWriter("-") as writer:
        writer.write(["a", ""])
        writer.commit()
    assert capsys.readouterr().out == '["a",""]\n'


def test_check_output_path(tmp_path):
    check_output_path("-")
    check_output_path(str(tmp_path / "new.jsonl"))
    with pytest.raises(HashFileError, match="does not exist"):
        check_output_path(str(tmp_path / "no" / "out.jsonl"))
    with pytest.raises(HashFileError, match="is a directory"):
        check_output_path(str(tmp_path))
    source = tmp_path / "in.csv"
    source.write_text("email\n")
    with pytest.raises(HashFileError, match="is the input file"):
        check_output_path(str(source), input_path=str(source))


def test_write_text_atomic(tmp_path):
    target = tmp_path / "report.json"
    write_text_atomic(str(target), "{}\n")
    assert target.read_text() == "{}\n" and _leftovers(tmp_path) == []
    with pytest.raises(HashFileError, match="cannot write"):
        write_text_atomic(str(tmp_path / "missing" / "r.json"), "{}")


def test_non_string_cells_fall_back_to_the_full_encoder(tmp_path):
    out = tmp_path / "out.jsonl"
    with JsonlWriter(str(out)) as writer:
        writer.write(["ab", ["LDU"], 1, 1000])
        writer.commit()
    assert out.read_text() == '["ab",["LDU"],1,1000]\n'


def test_write_errors_become_one_line_reasons(tmp_path):
    class Closed(io.StringIO):
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

    class Full(io.StringIO):
        def write(self, text):
            raise OSError(28, "No space left on device")

    writer = JsonlWriter(str(tmp_path / "out.jsonl"))
    writer._stream = Closed()
    with pytest.raises(OutputClosed):
        writer.write(["x"])
    writer._stream = Full()
    with pytest.raises(HashFileError, match=r"cannot write .*out\.jsonl: No space left on device"):
        writer.write(["x"])
