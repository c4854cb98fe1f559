"""IAM enforcement follows the template's conditions and ends with the stack (moto's switch is process-wide)."""

from __future__ import annotations

from pathlib import Path

from moto import settings

from leadloop_cli.devstack import LocalStack
from leadloop_cli.devstack.iam import sfn_identity
from tests.integration.devstack.devstack_support import StubGraphSimulator
from tests.integration.devstack.test_devstack_iam import TEMPLATE, probe


def test_a_conditional_grant_applies_when_its_condition_holds_and_checks_end_with_the_stack(tmp_path: Path) -> None:
    with LocalStack(
        TEMPLATE,
        parameter_overrides={"GrantsSsm": "true"},
        log_file=tmp_path / "devstack.log",
        write_state_file=False,
        seed=False,
        graph_factory=StubGraphSimulator,
    ) as stack:
        assert settings.INITIAL_NO_AUTH_ACTION_COUNT == 0
        assert probe(stack, "GrantedFunction", ["ssm:GetParameter"]) == {"ssm:GetParameter": "ok"}
    assert settings.INITIAL_NO_AUTH_ACTION_COUNT > 10**9  # back to moto's default: unlimited
    assert not sfn_identity.installed()
