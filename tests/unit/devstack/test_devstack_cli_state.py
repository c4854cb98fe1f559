"""The state file and the ``leadloop`` entry point (parsing, one-line failures, exit codes)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from leadloop_cli import statefile
from leadloop_cli.commands import subcommand_group
from leadloop_cli.main import build_parser, main


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(statefile.STATE_DIR_ENV, str(tmp_path / "state"))
    return tmp_path / "state"


def test_state_file_lifecycle(state_dir: Path) -> None:
    with pytest.raises(statefile.NoLocalStackError, match="no local stack is running"):
        statefile.load_local_target()
    path = statefile.write_state({"pid": os.getpid(), "aws_endpoint_url": "http://127.0.0.1:1"})
    assert path == state_dir / "devstack.json" and path.stat().st_mode & 0o777 == 0o600
    assert statefile.load_local_target()["aws_endpoint_url"] == "http://127.0.0.1:1"
    assert statefile.running_stack() is not None
    statefile.remove_state(pid=os.getpid() + 1)  # someone else's file: kept
    assert path.exists()
    statefile.remove_state(pid=os.getpid())
    assert not path.exists()


def test_stale_state_file_is_not_a_running_stack() -> None:
    statefile.write_state({"pid": 2**22 + 12345})
    assert statefile.running_stack() is None
    with pytest.raises(statefile.NoLocalStackError, match="is gone"):
        statefile.load_local_target()


def test_cli_usage_and_one_line_failures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: leadloop" in capsys.readouterr().err
    assert main(["dev", "fire", "BackfillFunction"]) == 1
    assert capsys.readouterr().err == "leadloop: dev fire only targets the local stack: add --local\n"
    assert main(["dev", "fire", "BackfillFunction", "--local"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("leadloop: no local stack is running") and err.count("\n") == 1
    assert main(["dev", "up", "--param", "novalue", "--template", "/nonexistent.yaml"]) == 1
    assert "expected KEY=VALUE" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["dev"])
    assert exit_info.value.code == 2


def test_dev_up_reports_a_bad_template_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = tmp_path / "t.yaml"
    template.write_text(
        "Parameters: {Stage: {Type: String, AllowedValues: [dev]}}\nResources: {Q: {Type: AWS::SQS::Queue}}\n"
    )
    assert main(["dev", "up", "--template", str(template), "--log-file", str(tmp_path / "log")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("leadloop: the local stack did not start: parameter Stage has no Default")
    assert err.count("\n") == 1


def test_groups_are_shared_between_command_modules() -> None:
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    group = subcommand_group(subparsers, "dev", "ignored: already exists")
    extra = group.add_parser("extra-for-test")
    extra.set_defaults(handler=lambda args: 0)
    assert parser.parse_args(["dev", "extra-for-test"]).handler(None) == 0
    assert parser.parse_args(["dev", "up", "--json", "--param", "A=1", "--param", "B=x=y"]).param == ["A=1", "B=x=y"]
