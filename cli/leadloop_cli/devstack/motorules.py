"""Service rules moto 5.2.5 lacks, applied where moto receives the request (see ``servicerules``).

* SQS ``SendMessage`` / ``SendMessageBatch``: a message is measured as SQS measures it (UTF-8 body
  plus attributes) against the queue's ``MaximumMessageSize``, a batch against 1 MiB in all
  (``servicerules.sqs``). Wrapped at moto's request handlers, before moto's own checks, so moto's
  backend (and ``sqs_scaling``'s changes to it) stay untouched. An oversized entry refuses the whole
  batch with ``InvalidParameterValue``, as moto already does for a body over the limit.
* Step Functions ``StartExecution`` on the executing backend: an unnamed execution gets a UUID name
  and an input over 262,144 bytes is refused (``servicerules.stepfunctions``).
* Step Functions Lambda tasks (both resource forms go through moto's
  ``lambda_eval_utils.execute_lambda_function_integration``): a payload over 256 KiB fails the state
  with ``States.DataLimitExceeded`` before Lambda is called, the way moto fails an oversized output.
* EventBridge ``PutEvents`` (``moto.events.models.EventsBackend.put_events``): entries totalling over
  256 KB as EventBridge counts them refuse the request (``ValidationException``), and a ``Detail``
  that is JSON but not an object fails its entry (``MalformedDetail``) while the others go through
  (``servicerules.eventbridge``). moto already refuses more than 10 entries and non-JSON details.

Only the local stack installs these, on the moto version they were written for (:mod:`motopatches`).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from .servicerules.eventbridge import MAX_ENTRIES, detail_error, put_events_size_error
from .servicerules.sqs import batch_too_long, message_bytes, message_size_error
from .servicerules.stepfunctions import execution_name, input_size_error, task_input_error

__all__ = ["install", "installed", "uninstall"]

_lock = threading.Lock()
#: (class or module, attribute) -> the attribute moto had before install
_originals: dict[tuple[Any, str], Callable[..., Any]] = {}


def _checked_send_message(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def send_message(self: Any) -> Any:
        from moto.sqs.exceptions import InvalidParameterValue

        queue = self.sqs_backend.get_queue(self._get_queue_name())
        body = self._get_param("MessageBody") or ""
        error = message_size_error(body, self._get_param("MessageAttributes") or {}, int(queue.maximum_message_size))
        if error is not None:
            raise InvalidParameterValue(error)
        return original(self)

    return send_message


def _checked_send_message_batch(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def send_message_batch(self: Any) -> Any:
        from moto.sqs.exceptions import BatchRequestTooLong, InvalidParameterValue

        queue = self.sqs_backend.get_queue(self._get_queue_name())
        entries = self._get_param("Entries") or []
        sizes = []
        for entry in entries:
            body, attributes = entry.get("MessageBody") or "", entry.get("MessageAttributes") or {}
            error = message_size_error(body, attributes, int(queue.maximum_message_size))
            if error is not None:
                raise InvalidParameterValue(error)
            sizes.append(message_bytes(body, attributes))
        if batch_too_long(sizes):
            raise BatchRequestTooLong(sum(sizes))
        return original(self)

    return send_message_batch


def _checked_start_execution(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def start_execution(
        self: Any,
        state_machine_arn: str,
        name: str | None = None,
        execution_input: str | None = None,
        trace_header: Any = None,
    ) -> Any:
        from moto.stepfunctions.exceptions import ValidationException

        error = input_size_error(execution_input)
        if error is not None:
            raise ValidationException(error)
        return original(self, state_machine_arn, execution_name(name), execution_input, trace_header)

    return start_execution


def _data_limit_exceeded(env: Any, cause: str) -> Exception:
    """moto's own failure for an oversized state (as its ``_verify_size_quota`` raises it)."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )

    error = StatesErrorNameType.StatesStatesDataLimitExceeded
    # EventDetails is a TypedDict of optional keys moto's stubs mark required: build it as the dict it is.
    details: Any = {"taskFailedEventDetails": TaskFailedEventDetails(error=error.to_name(), cause=cause)}
    event = FailureEvent(
        env=env, error_name=StatesErrorName(typ=error), event_type=HistoryEventType.TaskFailed, event_details=details
    )
    return FailureEventException(failure_event=event)


def _checked_lambda_task(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def execute_lambda_function_integration(env: Any, parameters: dict[str, Any], **kwargs: Any) -> Any:
        payload = parameters.get("Payload")
        error = task_input_error(payload) if isinstance(payload, bytes) else None
        if error is not None:
            raise _data_limit_exceeded(env, error)
        return original(env=env, parameters=parameters, **kwargs)

    return execute_lambda_function_integration


def _checked_put_events(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def put_events(self: Any, events: list[dict[str, Any]] | None) -> Any:
        from moto.events.exceptions import ValidationException

        entries = list(events or [])
        if len(entries) > MAX_ENTRIES:  # moto refuses the request itself
            return original(self, events)
        error = put_events_size_error(entries)
        if error is not None:
            raise ValidationException(error)
        refused = {
            index: message
            for index, entry in enumerate(entries)
            if entry.get("Source")
            and entry.get("DetailType")  # moto's own errors for those come first
            and (message := detail_error(entry.get("Detail"))) is not None
        }
        if not refused:
            return original(self, events)
        accepted = [entry for index, entry in enumerate(entries) if index not in refused]
        results = iter(original(self, accepted) if accepted else [])
        return [
            {"ErrorCode": "MalformedDetail", "ErrorMessage": refused[index]} if index in refused else next(results)
            for index in range(len(entries))
        ]

    return put_events


def _targets() -> list[tuple[Any, str, Callable[[Callable[..., Any]], Callable[..., Any]]]]:
    from moto.events.models import EventsBackend
    from moto.sqs.responses import SQSResponse
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    return [
        (SQSResponse, "send_message", _checked_send_message),
        (SQSResponse, "send_message_batch", _checked_send_message_batch),
        (StepFunctionsParserBackend, "start_execution", _checked_start_execution),
        (lambda_eval_utils, "execute_lambda_function_integration", _checked_lambda_task),
        (EventsBackend, "put_events", _checked_put_events),
    ]


def install() -> None:
    """Apply the rules in this interpreter (idempotent)."""
    with _lock:
        if _originals:
            return
        for cls, name, wrap in _targets():
            original = cls.__dict__[name]
            _originals[(cls, name)] = original
            setattr(cls, name, wrap(original))


def uninstall() -> None:
    """Put moto's own handlers back."""
    with _lock:
        for (cls, name), original in _originals.items():
            setattr(cls, name, original)
        _originals.clear()


def installed() -> bool:
    return bool(_originals)
