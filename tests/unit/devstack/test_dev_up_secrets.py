"""``leadloop dev up --secret NAME=VALUE``: secrets that exist before the stack, as made before a deploy."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

import leadloop_cli.devstack
from leadloop_cli.main import main


class _Recorder:
    """Stands in for LocalStack: keeps what ``dev up`` passed, then fails to start."""

    seen: ClassVar[dict[str, Any]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _Recorder.seen = kwargs

    def start(self) -> None:
        raise RuntimeError("not started in this test")

    def close(self) -> None:
        return


def test_secrets_reach_the_local_stack(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(leadloop_cli.devstack, "LocalStack", _Recorder)
    assert main(["dev", "up", "--secret", "crm-token=Bearer a=b", "--secret", "other=x"]) == 1
    assert _Recorder.seen["secrets"] == {"crm-token": "Bearer a=b", "other": "x"}
    assert main(["dev", "up"]) == 1
    assert _Recorder.seen["secrets"] == {}
    capsys.readouterr()


def test_a_secret_without_a_value_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(leadloop_cli.devstack, "LocalStack", _Recorder)
    assert main(["dev", "up", "--secret", "crm-token"]) == 1
    assert "--secret 'crm-token': expected KEY=VALUE" in capsys.readouterr().err
