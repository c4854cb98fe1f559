"""``leadloop dev up`` options that reach the local stack: ``--workers N`` (the pool of every function that
reserves no concurrency) and ``--secret NAME=VALUE`` (secrets that exist before the stack, as made before a deploy)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

import leadloop_cli.devstack
from leadloop_cli.main import build_parser, main
from leadloop_cli.workerpool import DEFAULT_WORKERS, MAX_WORKERS


class _Recorder:
    """Stands in for LocalStack: keeps what ``dev up`` passed, then fails to start."""

    seen: ClassVar[dict[str, Any]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _Recorder.seen = kwargs

    def start(self) -> None:
        raise RuntimeError("not started in this test")

    def close(self) -> None:
        return


def test_workers_reach_the_local_stack(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(leadloop_cli.devstack, "LocalStack", _Recorder)
    assert main(["dev", "up", "--workers", "12"]) == 1
    assert _Recorder.seen["pool_size"] == 12
    assert main(["dev", "up"]) == 1
    assert _Recorder.seen["pool_size"] == DEFAULT_WORKERS
    capsys.readouterr()


@pytest.mark.parametrize("value", ["0", str(MAX_WORKERS + 1), "many"])
def test_workers_out_of_range_are_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["dev", "up", "--workers", value])
    assert exit_info.value.code == 2
    assert f"argument --workers: {value!r} is not a whole number from 1 to {MAX_WORKERS}" in capsys.readouterr().err


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
