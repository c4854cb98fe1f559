"""Fixtures: the template on moto seen as an operator command sees it, and ``leadloop`` run in-process.

The command runs through ``leadloop_cli.main.main`` as an operator runs it; only the target
lookup is pointed at the in-process moto (``--local`` would need the ``dev up`` server).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from moto import mock_aws

from leadloop_cli.main import main
from tests.support.cli import CliRun
from tests.support.moto_stack import LeadsStack, leads_stack, provision_template, use_fake_aws


@pytest.fixture(scope="module")
def stack() -> Iterator[LeadsStack]:
    with pytest.MonkeyPatch.context() as patch:
        use_fake_aws(patch)
        with mock_aws():
            yield leads_stack(provision_template())


@pytest.fixture
def leadloop(
    stack: LeadsStack, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., CliRun]:
    """``leadloop ARGS --local``, the target being the moto stack; returns exit code, stdout, stderr."""
    monkeypatch.setattr("leadloop_cli.commands.leads.resolve_target", lambda args: stack.target)

    def run(*args: str) -> CliRun:
        capsys.readouterr()
        code = main([*args, "--local"])
        captured = capsys.readouterr()
        return CliRun(code, captured.out, captured.err)

    return run
