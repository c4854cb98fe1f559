"""Step Functions' own integration (``arn:aws:states:::states:startExecution[.sync[:2]]``) as AWS runs it.

moto 5.2.5 runs the integration in ``StateTaskServiceSfn`` (ported from LocalStack) but dropped
LocalStack's translation between the names Step Functions uses and boto3's: the base class's
``_normalise_parameters`` and ``_normalise_response`` are no-ops. So a task's ``StateMachineArn``,
``Name`` and ``Input`` reach boto3 as they are written in the ASL and botocore refuses them
(``KeyError: 'StateMachineArn'``, reported as ``States.Runtime``), and the ``.sync`` resolvers would
look for ``ExecutionArn`` in an answer that says ``executionArn``.

This module gives ``StateTaskServiceSfn`` (and nothing else) the two methods LocalStack has: the
parameters are renamed to the API's members through the ``stepfunctions`` service model
(``StateMachineArn`` → ``stateMachineArn``; an ``Input`` object was already made JSON text by moto)
and answers are renamed back (``executionArn`` → ``ExecutionArn``, ``output`` → ``Output``), as Step
Functions' optimized integration shows them. With it a parent runs ``startExecution.sync:2`` as on
AWS: the child starts under the given name, the task waits for it, and ends with the child's
``DescribeExecution`` (``Output`` parsed as JSON) or fails ``States.TaskFailed`` with that
description as its cause. Map states (``ItemsPath``, ``ItemSelector``, ``MaxConcurrency`` and
``MaxConcurrencyPath``) already run faithfully in moto: each iteration worker is a thread, as many as
the bound.

Pinned like every patch (:mod:`.motopatches`); ``tests/unit/devstack/test_sfn_nested.py`` proves a
parent's child execution runs, fails and is caught through it.
"""

from __future__ import annotations

import functools
import inspect
import threading
from typing import Any

__all__ = ["SUPPORTED_MOTO_VERSION", "NestedExecutionHookError", "install", "installed", "uninstall"]

SUPPORTED_MOTO_VERSION = "5.2.5"

_lock = threading.Lock()
_state: dict[str, Any] = {}


class NestedExecutionHookError(RuntimeError):
    """moto is not the version (or shape) this emulation was written for."""


@functools.cache
def _operations() -> dict[str, Any]:
    """snake_case operation name -> its botocore ``OperationModel`` (``start_execution`` -> ``StartExecution``)."""
    import botocore.session
    from botocore import xform_name

    model = botocore.session.get_session().get_service_model("stepfunctions")
    return {xform_name(name): model.operation_model(name) for name in model.operation_names}


def _operation(task: Any, service_action_name: str | None) -> Any:
    return _operations().get(task._get_boto_service_action(service_action_name=service_action_name))


def _target() -> tuple[type, Any]:
    import moto

    if moto.__version__ != SUPPORTED_MOTO_VERSION:
        raise NestedExecutionHookError(
            f"the local stack's nested-execution emulation supports moto {SUPPORTED_MOTO_VERSION}, found "
            f"{moto.__version__}; re-check StateTaskService._normalise_parameters/_normalise_response and "
            "update sfn_nested.py"
        )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service as base
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
        StateTaskServiceSfn,
    )

    service = base.StateTaskService
    for name in ("_normalise_parameters", "_normalise_response"):
        body = inspect.getsource(getattr(service, name)).rstrip()
        if not body.endswith("pass"):  # moto translates names itself now: this emulation must go
            raise NestedExecutionHookError(f"moto's StateTaskService.{name} is no longer a no-op; drop sfn_nested.py")
    for name in ("_to_boto_request", "_from_boto_response", "_get_boto_service_action"):
        if not callable(getattr(service, name, None)):
            raise NestedExecutionHookError(f"moto's StateTaskService.{name} is gone; update sfn_nested.py")
    if (
        "_normalise_parameters" not in StateTaskServiceSfn.__dict__
        or "_normalise_response" in StateTaskServiceSfn.__dict__
    ):
        raise NestedExecutionHookError("moto's StateTaskServiceSfn changed shape; update sfn_nested.py")
    return StateTaskServiceSfn, StateTaskServiceSfn.__dict__["_normalise_parameters"]


def install() -> None:
    """Give moto's ``states`` integration the name translation Step Functions does (idempotent)."""
    with _lock:
        if "original" in _state:
            return
        cls, original = _target()

        def _normalise_parameters(
            self: Any,
            parameters: dict[str, Any],
            boto_service_name: str | None = None,
            service_action_name: str | None = None,
        ) -> None:
            original(self, parameters, boto_service_name=boto_service_name, service_action_name=service_action_name)
            operation = _operation(self, service_action_name)
            if operation is not None and operation.input_shape is not None:
                self._to_boto_request(parameters, operation.input_shape)

        def _normalise_response(
            self: Any,
            response: Any,
            boto_service_name: str | None = None,
            service_action_name: str | None = None,
        ) -> None:
            operation = _operation(self, service_action_name)
            if operation is not None and operation.output_shape is not None:
                self._from_boto_response(response, operation.output_shape)

        _state["original"] = original
        setattr(cls, "_normalise_parameters", _normalise_parameters)  # noqa: B010 - a class attribute of moto's
        setattr(cls, "_normalise_response", _normalise_response)  # noqa: B010


def uninstall() -> None:
    """Put moto's own methods back."""
    with _lock:
        original = _state.pop("original", None)
        if original is None:
            return
        from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
            StateTaskServiceSfn,
        )

        setattr(StateTaskServiceSfn, "_normalise_parameters", original)  # noqa: B010
        delattr(StateTaskServiceSfn, "_normalise_response")


def installed() -> bool:
    return "original" in _state
