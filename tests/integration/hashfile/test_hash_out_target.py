"""``leadloop hash --out`` / ``--report`` naming a pipe, a link or a device: exit 1, the target untouched."""

from __future__ import annotations

import os
import stat

import pytest

from leadloop_cli import main as cli
from leadloop_cli.commands import hash as hash_command
from leadloop_cli.hashfile import pipeline


@pytest.fixture(autouse=True)
def _hash_command(monkeypatch):
    modules = list(cli.COMMAND_MODULES)
    if "leadloop_cli.commands.hash" not in modules:
        modules.append("leadloop_cli.commands.hash")
    monkeypatch.setattr(cli, "COMMAND_MODULES", modules)


def _csv(tmp_path):
    path = tmp_path / "crm.csv"
    path.write_bytes(b"email\nmary@example.com\n")
    return str(path)


def _hash(*argv: str) -> int:
    return cli.main(["hash", *argv, "--schema", "EMAIL", "--quiet"])


def test_out_a_named_pipe(tmp_path, capsys):
    fifo = tmp_path / "out.jsonl"
    os.mkfifo(fifo)
    assert _hash(_csv(tmp_path), "--out", str(fifo)) == 1
    err = capsys.readouterr().err
    assert err == f"leadloop: hash: {fifo} is a named pipe (FIFO), not a regular file: " + (
        "it is never replaced; give the path of a new or regular file\n"
    )
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_out_a_symlink_to_a_regular_file(tmp_path, capsys):
    real = tmp_path / "real.jsonl"
    real.write_text("previous\n")
    link = tmp_path / "out.jsonl"
    link.symlink_to(real)
    assert _hash(_csv(tmp_path), "--out", str(link)) == 1
    assert "is a symbolic link, not a regular file" in capsys.readouterr().err
    assert link.is_symlink() and real.read_text() == "previous\n"


def test_report_a_named_pipe(tmp_path, capsys):
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)
    out = tmp_path / "out.jsonl"
    assert _hash(_csv(tmp_path), "--out", str(out), "--report", str(fifo)) == 1
    assert "report.json is a named pipe (FIFO)" in capsys.readouterr().err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and not out.exists()


@pytest.mark.parametrize("option", ["--out", "--report"])
def test_dev_null_is_refused_before_anything_is_opened(tmp_path, capsys, monkeypatch, option):
    """Whatever would open the input or write an output fails the test first, so /dev/null is never touched."""

    def never(*args, **kwargs):
        raise AssertionError("reached I/O with /dev/null as a target")

    monkeypatch.setattr(pipeline, "CsvFileReader", never)
    monkeypatch.setattr(pipeline, "JsonlWriter", never)
    monkeypatch.setattr(hash_command, "write_text_atomic", never)
    other = ["--out", "-"] if option == "--report" else []
    assert _hash(_csv(tmp_path), option, os.devnull, *other) == 1
    assert "/dev/null is a character device, not a regular file" in capsys.readouterr().err
    assert stat.S_ISCHR(os.lstat(os.devnull).st_mode)
