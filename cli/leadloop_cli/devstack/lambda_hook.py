"""The one place the local stack reaches into moto: Lambda invocations go to our runtime.

moto 5.2.5 runs every invoke (boto3 ``invoke``, Step Functions Lambda tasks, its own event-source
mappings, EventBridge targets) through ``LambdaFunction._invoke_lambda(self, event) ->
(payload_json_str, errored_bool, logs_str)``, which would start Docker. We replace that method with a
router keyed by function name. ``errored=True`` makes moto answer ``FunctionError: Handled``, so Step
Functions Retry/Catch see the handler's ``errorType``.

The hook also holds Lambda's payload quotas, which moto does not check: a request event over 6 MB is
refused with ``RequestEntityTooLargeException`` (413) before any code runs, and a response over
6 MB + 100 bytes becomes the function error ``Function.ResponseSizeTooLarge`` (see ``events.payload``).

The target is pinned: on another moto version, or if the method moved, :func:`install` refuses with a
message saying what to check, rather than silently running nothing. This is one of the local
stack's few patches of moto; :mod:`motopatches` lists them all.
"""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Callable
from typing import Any

from .events.payload import REQUEST_TOO_LARGE, limit_response, request_too_large
from .runtime import InvokeResult

__all__ = ["SUPPORTED_MOTO_VERSION", "HookError", "Router", "install", "installed", "uninstall"]

SUPPORTED_MOTO_VERSION = "5.2.5"

Router = Callable[[str, Any], tuple[str, bool, str]]
"""(function_name, event) -> (payload JSON text, errored, log text)."""

_lock = threading.Lock()
_state: dict[str, Any] = {}


class HookError(RuntimeError):
    """moto is not the version (or shape) the hook was written for."""


def _target() -> tuple[type, Callable[..., Any]]:
    import moto

    if moto.__version__ != SUPPORTED_MOTO_VERSION:
        raise HookError(
            f"the local stack's Lambda hook supports moto {SUPPORTED_MOTO_VERSION}, found {moto.__version__}; "
            "pin moto or re-check moto.awslambda.models.LambdaFunction._invoke_lambda and update lambda_hook.py"
        )
    try:
        from moto.awslambda.models import LambdaFunction
    except ImportError as exc:  # pragma: no cover - only on a broken moto install
        raise HookError(f"moto.awslambda.models.LambdaFunction is gone: {exc}") from exc
    original = getattr(LambdaFunction, "_invoke_lambda", None)
    if original is None:
        raise HookError("moto.awslambda.models.LambdaFunction._invoke_lambda is gone; update lambda_hook.py")
    params = list(inspect.signature(original).parameters)
    if params != ["self", "event"]:
        raise HookError(
            f"LambdaFunction._invoke_lambda{tuple(params)} changed shape (expected (self, event)); "
            "update lambda_hook.py"
        )
    return LambdaFunction, original


def _decode_event(event: Any) -> Any:
    # moto hands over json.loads(body), except for an empty body where it passes the text "{}".
    if isinstance(event, bytes | bytearray):
        event = event.decode("utf-8")
    if event == "{}" or event is None:
        return {}
    return event


def _request_too_large_error() -> Exception:
    """moto's own error type, so the server answers 413 ``RequestEntityTooLargeException`` as Lambda does."""
    from moto.core.exceptions import JsonRESTError

    error = JsonRESTError("RequestEntityTooLargeException", REQUEST_TOO_LARGE)
    error.code = 413
    return error


def _within_quotas(router: Router, name: str, event: Any) -> tuple[str, bool, str]:
    if request_too_large(event):
        raise _request_too_large_error()
    payload, errored, logs = router(name, event)
    limited = limit_response(InvokeResult(payload, errored, logs))
    return limited.payload, limited.errored, limited.logs


def install(router: Router) -> None:
    """Route every moto Lambda invocation in this process to ``router``."""
    with _lock:
        cls, original = _target()
        if "original" not in _state:
            _state["original"] = original
        _state["router"] = router

        def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
            current: Router | None = _state.get("router")
            name = str(self.function_name)
            if current is None:
                message = {"errorType": "Runtime.Unavailable", "errorMessage": f"no local runtime for {name}"}
                return json.dumps(message), True, ""
            return _within_quotas(current, name, _decode_event(event))

        cls._invoke_lambda = _invoke_lambda  # type: ignore[attr-defined]


def uninstall() -> None:
    """Put moto's own ``_invoke_lambda`` back."""
    with _lock:
        original = _state.pop("original", None)
        _state.pop("router", None)
        if original is not None:
            from moto.awslambda.models import LambdaFunction

            setattr(LambdaFunction, "_invoke_lambda", original)  # noqa: B010


def installed() -> bool:
    return "router" in _state
