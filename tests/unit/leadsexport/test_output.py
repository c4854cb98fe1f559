"""OUT appears whole or not at all, is private when new, and is never anything but a regular file."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

import pytest

from leadloop_cli.leadsexport.errors import ExportError
from leadloop_cli.leadsexport.output import AtomicOutput, CsvSink, JsonlSink, check_target


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".partial"))


def test_a_committed_output_replaces_out_and_keeps_its_mode(tmp_path: Path):
    out = tmp_path / "leads.csv"
    out.write_text("old\n")
    out.chmod(0o640)
    with AtomicOutput(str(out)) as output:
        output.stream.write("new\n")
        assert out.read_text() == "old\n"  # nothing visible before the commit
        output.commit()
    assert out.read_text() == "new\n"
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == []


def test_a_new_out_is_private(tmp_path: Path):
    out = tmp_path / "leads.csv"
    with AtomicOutput(str(out)) as output:
        output.stream.write("x\n")
        output.commit()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_a_failure_leaves_out_untouched_and_no_temporary_file(tmp_path: Path):
    out = tmp_path / "leads.csv"
    out.write_text("previous export\n")
    with pytest.raises(RuntimeError), AtomicOutput(str(out)) as output:
        output.stream.write("half an export\n")
        raise RuntimeError("DynamoDB went away")
    assert out.read_text() == "previous export\n"
    assert leftovers(tmp_path) == []


def test_an_uncommitted_new_out_never_appears(tmp_path: Path):
    out = tmp_path / "leads.csv"
    with AtomicOutput(str(out)) as output:
        output.stream.write("rows\n")
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_out_that_is_not_a_regular_file_is_refused_up_front(tmp_path: Path):
    (tmp_path / "dir").mkdir()
    (tmp_path / "real.csv").write_text("keep\n")
    (tmp_path / "link.csv").symlink_to(tmp_path / "real.csv")
    os.mkfifo(tmp_path / "fifo")
    for name, kind in [("dir", "a directory"), ("link.csv", "a symbolic link"), ("fifo", "a named pipe")]:
        with pytest.raises(ExportError, match=f"is {kind}"):
            check_target(str(tmp_path / name))
    with pytest.raises(ExportError, match="does not exist"):
        check_target(str(tmp_path / "missing" / "x.csv"))
    check_target("-")
    check_target(str(tmp_path / "real.csv"))
    check_target(str(tmp_path / "new.csv"))


def test_out_swapped_for_something_else_before_the_rename_is_not_replaced(tmp_path: Path):
    out = tmp_path / "leads.csv"
    with pytest.raises(ExportError, match="is a socket"), AtomicOutput(str(out)) as output:
        output.stream.write("rows\n")
        server = socket.socket(socket.AF_UNIX)
        try:
            server.bind(str(out))
            output.commit()
        finally:
            server.close()
    assert stat.S_ISSOCK(out.lstat().st_mode)
    assert leftovers(tmp_path) == []


def test_dash_writes_to_stdout(capsys: pytest.CaptureFixture[str]):
    with AtomicOutput("-") as output:
        JsonlSink(output.stream).write_object({"id": "1", "city": "Zürich"})
        output.commit()
    assert capsys.readouterr().out == '{"id":"1","city":"Zürich"}\n'


def test_csv_cells_are_escaped_and_quoted(tmp_path: Path):
    out = tmp_path / "x.csv"
    with AtomicOutput(str(out)) as output:
        sink = CsvSink(output.stream)
        sink.write_row(["=name", "+1 650", "a,b", 'say "hi"', "-2", "@cmd", "plain"])
        output.commit()
    assert out.read_bytes() == b'\'=name,\'+1 650,"a,b","say ""hi""",\'-2,\'@cmd,plain\r\n'
