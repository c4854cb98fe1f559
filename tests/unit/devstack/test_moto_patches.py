"""The local stack's moto patches: one pinned version, every target still where the patches expect it."""

from __future__ import annotations

import inspect
import re
import tomllib
from pathlib import Path

import pytest

from leadloop_cli.devstack import (
    ddb_atomic,
    eventbridge_hook,
    lambda_hook,
    motopatches,
    motorules,
    sfn_nested,
    sqs_scaling,
)
from leadloop_cli.devstack.iam import moto_checks, sfn_identity

ROOT = Path(__file__).resolve().parents[3]


def test_every_patch_is_written_for_the_pinned_moto() -> None:
    import moto

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    dependencies = [*project["dependencies"], *[d for ds in project["optional-dependencies"].values() for d in ds]]
    [pin] = {d for d in dependencies if re.match(r"moto\b", d)}
    pinned = pin.split("==", 1)[1]
    assert moto.__version__ == pinned == motopatches.SUPPORTED_MOTO_VERSION
    for module in (lambda_hook, ddb_atomic, sqs_scaling, eventbridge_hook, sfn_nested, moto_checks, sfn_identity):
        assert pinned == module.SUPPORTED_MOTO_VERSION, module.__name__
    assert set(motopatches.PATCH_MODULES) == {
        lambda_hook,
        ddb_atomic,
        sqs_scaling,
        motorules,
        eventbridge_hook,
        sfn_nested,
        moto_checks,
        sfn_identity,
    }


def test_install_refuses_another_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    import moto

    monkeypatch.setattr(moto, "__version__", "9.9.9")
    with pytest.raises(RuntimeError, match=r"support moto 5\.2\.5, found 9\.9\.9"):
        motopatches.install()


def test_the_rules_targets_keep_their_shape() -> None:
    from moto.events.models import EventsBackend
    from moto.sqs.responses import SQSResponse
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    assert list(inspect.signature(SQSResponse.send_message).parameters) == ["self"]
    assert list(inspect.signature(SQSResponse.send_message_batch).parameters) == ["self"]
    start = inspect.signature(StepFunctionsParserBackend.start_execution).parameters
    assert list(start) == ["self", "state_machine_arn", "name", "execution_input", "trace_header"]
    task = inspect.signature(lambda_eval_utils.execute_lambda_function_integration).parameters
    assert list(task) == ["env", "parameters", "region", "state_credentials"]
    assert list(inspect.signature(EventsBackend.put_events).parameters) == ["self", "events"]


def test_the_eventbridge_hooks_target_keeps_its_shape() -> None:
    from moto.events.models import Connection, Destination, EventsBackend, Rule

    assert list(inspect.signature(Rule.send_to_targets).parameters) == ["self", "original_event", "transform_input"]
    backend = EventsBackend("us-east-1", "123456789012")
    assert isinstance(backend.destinations, dict) and isinstance(backend.connections, dict)
    for cls, names in (
        (Destination, ("invocation_endpoint", "http_method", "connection_arn", "invocation_rate_limit_per_second")),
        (Connection, ("authorization_type", "auth_parameters")),
    ):
        assert all(name in inspect.signature(cls.__init__).parameters for name in names), cls


def test_the_eventbridge_hook_installs_once_and_uninstalls_cleanly() -> None:
    from moto.events.models import Rule

    original = Rule.send_to_targets
    calls: list[object] = []
    try:
        eventbridge_hook.install(calls.append)
        patched = Rule.send_to_targets
        eventbridge_hook.install(calls.append)
        assert Rule.send_to_targets is patched and patched.__wrapped__ is original  # type: ignore[attr-defined]
    finally:
        eventbridge_hook.uninstall()
    assert Rule.send_to_targets is original and not eventbridge_hook.installed()


def test_the_rules_install_once_and_uninstall_cleanly() -> None:
    from moto.sqs.responses import SQSResponse
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    was_installed = motorules.installed()
    motorules.uninstall()
    originals = (SQSResponse.send_message, StepFunctionsParserBackend.start_execution)
    try:
        motorules.install()
        motorules.install()
        patched = SQSResponse.send_message
        assert patched is not originals[0] and patched.__wrapped__ is originals[0]  # type: ignore[attr-defined]
        motorules.uninstall()
        assert (SQSResponse.send_message, StepFunctionsParserBackend.start_execution) == originals
    finally:
        if was_installed:
            motorules.install()


def test_the_iam_patches_install_once_and_uninstall_cleanly() -> None:
    from moto.iam import access_control
    from moto.stepfunctions.parser.asl.utils import boto_client

    from leadloop_cli.devstack.iam.identities import Credentials

    original_request, original_boto3 = access_control.IAMRequest, getattr(boto_client, "boto3")  # noqa: B009
    try:
        moto_checks.install()
        moto_checks.install()
        assert issubclass(access_control.IAMRequest, original_request)
        assert access_control.IAMRequest is not original_request
        sfn_identity.install(Credentials("key", "secret", "token"))
        assert getattr(boto_client, "boto3") is not original_boto3  # noqa: B009
    finally:
        moto_checks.uninstall()
        sfn_identity.uninstall()
    assert access_control.IAMRequest is original_request
    assert getattr(boto_client, "boto3") is original_boto3  # noqa: B009
