"""Operator commands take Meta's ids as ASCII digits only, before they reach any stack or Meta."""

from __future__ import annotations

import pytest

from leadloop_cli.main import main

ARABIC_INDIC = "١٢٣٤٥"
FULL_WIDTH = "１２３４５"


@pytest.mark.parametrize("digits", [ARABIC_INDIC, FULL_WIDTH])
def test_audience_commands_refuse_non_ascii_digits(digits: str, capsys: pytest.CaptureFixture[str]):
    assert main(["audience", "status", digits, "--local"]) == 1
    assert "the audience id is a number" in capsys.readouterr().err
    assert main(["audience", "create", "--account", f"act_{digits}", "--name", "n", "--local"]) == 1
    assert "--account must look like act_123" in capsys.readouterr().err


@pytest.mark.parametrize("digits", [ARABIC_INDIC, FULL_WIDTH])
def test_forget_everywhere_refuses_a_non_ascii_account(digits: str, capsys: pytest.CaptureFixture[str]):
    code = main(["forget", "--email", "a@example.com", "--everywhere", "--account", f"act_{digits}", "--local"])
    assert code == 1 and "--account" in capsys.readouterr().err
