"""OUT (and --report) that exists but is not a regular file is refused, never replaced or written through.

Named pipes and symbolic links are made in tmp_path, so a wrong fix can only change files there.
/dev/null is only ever looked at (``lstat``): no test opens it or writes next to it.
"""

from __future__ import annotations

import os
import stat

import pytest

from leadloop_cli.hashfile.errors import HashFileError
from leadloop_cli.hashfile.writer import JsonlWriter, check_output_path, write_text_atomic


def _fifo(tmp_path):
    path = tmp_path / "out.jsonl"
    os.mkfifo(path)
    return path


def _link(tmp_path):
    real = tmp_path / "real.jsonl"
    real.write_text("previous\n")
    link = tmp_path / "out.jsonl"
    link.symlink_to(real)
    return link, real


def test_a_named_pipe_is_refused(tmp_path):
    fifo = _fifo(tmp_path)
    with pytest.raises(HashFileError) as caught:
        check_output_path(str(fifo))
    assert str(caught.value) == (
        f"{fifo} is a named pipe (FIFO), not a regular file: it is never replaced; give the path of a new or "
        "regular file"
    )
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_symlink_is_refused_even_to_a_regular_file(tmp_path):
    link, real = _link(tmp_path)
    with pytest.raises(HashFileError, match=r"out\.jsonl is a symbolic link, not a regular file: it is never replaced"):
        check_output_path(str(link))
    assert link.is_symlink() and real.read_text() == "previous\n"


def test_a_dangling_symlink_is_refused(tmp_path):
    link = tmp_path / "out.jsonl"
    link.symlink_to(tmp_path / "nowhere.jsonl")
    with pytest.raises(HashFileError, match="is a symbolic link"):
        check_output_path(str(link))
    assert link.is_symlink() and not (tmp_path / "nowhere.jsonl").exists()


def test_dev_null_is_refused_by_looking_at_it_only():
    with pytest.raises(HashFileError) as caught:
        check_output_path(os.devnull)
    assert str(caught.value) == (
        "/dev/null is a character device, not a regular file: it is never replaced; give the path of a new or "
        "regular file (for the report alone: --out - and send stdout to /dev/null)"
    )
    assert stat.S_ISCHR(os.lstat(os.devnull).st_mode)


def test_a_regular_file_and_a_new_path_are_fine(tmp_path):
    existing = tmp_path / "old.jsonl"
    existing.write_text("x\n")
    check_output_path(str(existing))
    check_output_path(str(tmp_path / "new.jsonl"))


def test_a_pipe_put_in_place_during_the_run_is_not_replaced_at_commit(tmp_path):
    out = tmp_path / "out.jsonl"
    with JsonlWriter(str(out)) as writer:
        writer.write(["x"])
        os.mkfifo(out)  # appears after the up-front check
        with pytest.raises(HashFileError, match="is a named pipe"):
            writer.commit()
    assert stat.S_ISFIFO(os.lstat(out).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]  # no temporary file left


def test_the_report_is_not_written_over_a_symlink_either(tmp_path):
    link, real = _link(tmp_path)
    with pytest.raises(HashFileError, match="is a symbolic link"):
        write_text_atomic(str(link), "{}\n")
    assert link.is_symlink() and real.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "real.jsonl"]
