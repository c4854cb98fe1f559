"""One warm "Lambda container": imports a handler once and serves invocations over pipes.

Run as a script (``python -P worker.py --request-fd R --result-fd W ...``) by :mod:`runtime`, never
imported by the stack itself. Stdlib only, and ``-P`` keeps its own directory off ``sys.path``, so
nothing of the devstack can shadow or leak into the function's imports: the function sees exactly its
CodeUri, its layers and the interpreter's site-packages, like in Lambda.

Protocol, one JSON object per line:
- request  ``{"id", "event", "deadline_ms", "function_arn"}`` on the request fd;
- result   ``{"id", "errored", "payload"}`` on the result fd (payload is the JSON text Lambda returns).
The handler's stdout/stderr are the worker's, which the parent sends to the stack's log file.
"""

from __future__ import annotations

import argparse
import decimal
import importlib.util
import json
import os
import re
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

Handler = Callable[[Any, Any], Any]


class LambdaContext:
    """The attributes and method of Lambda's Python context object that handlers use."""

    def __init__(self, request_id: str, function_arn: str, deadline_ms: float) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self.tenant_id = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


def _json_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _error(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": "",
        "stackTrace": [line for line in traceback.format_list(frames) if "devstack/worker.py" not in line],
    }


def _log_error(payload: dict[str, Any], request_id: str) -> None:
    # Lambda's runtime logs an uncaught error itself (JSON when the function's log format is JSON).
    if os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON":
        line = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "level": "ERROR",
            "message": payload["errorMessage"],
            "errorType": payload["errorType"],
            "requestId": request_id,
            "stackTrace": payload["stackTrace"],
        }
        print(json.dumps(line), file=sys.stderr, flush=True)
    else:
        print(f"[ERROR] {payload['errorType']}: {payload['errorMessage']}", file=sys.stderr, flush=True)


def load_handler(code_dir: Path, handler: str, module_name: str) -> Handler:
    """Import ``module.function`` (``handler``) from ``code_dir`` under a module name unique to this function."""
    module_path, _, function_name = handler.rpartition(".")
    if not module_path or not function_name:
        raise ValueError(f"Bad handler '{handler}': expected module.function")
    relative = Path(*re.split(r"[./]", module_path))
    file_path = code_dir / relative.with_suffix(".py")
    if not file_path.is_file():
        file_path = code_dir / relative / "__init__.py"
    spec = importlib.util.spec_from_file_location(module_name, file_path)
    if spec is None or spec.loader is None or not file_path.is_file():
        raise ImportError(f"Unable to import module '{module_path}': no {file_path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    function = getattr(module, function_name, None)
    if not callable(function):
        raise AttributeError(f"Handler '{function_name}' missing on module '{module_path}'")
    return function  # type: ignore[no-any-return]


def _init_error_type(exc: Exception) -> str:
    if isinstance(exc, SyntaxError):
        return "Runtime.UserCodeSyntaxError"
    if isinstance(exc, ImportError):
        return "Runtime.ImportModuleError"
    if isinstance(exc, AttributeError) and str(exc).startswith("Handler "):
        return "Runtime.HandlerNotFound"
    return type(exc).__name__


MARKER = "\x1eleadloop-devstack-end "  # same as logsink.MARKER (this script imports nothing of ours)


def _result(results: IO[str], message: dict[str, Any]) -> None:
    sys.stderr.flush()
    if "id" in message:
        print(MARKER + str(message["id"]), flush=True)  # after the request's own output
    sys.stdout.flush()
    results.write(json.dumps(message) + "\n")
    results.flush()


def _invoke(handler: Handler, message: dict[str, Any]) -> tuple[bool, str]:
    request_id = str(message["id"])
    context = LambdaContext(request_id, str(message.get("function_arn", "")), float(message["deadline_ms"]))
    try:
        result = handler(message.get("event"), context)
        return False, json.dumps(result, default=_json_default)
    except Exception as exc:
        payload = dict(_error(exc), requestId=request_id)
        if isinstance(exc, TypeError) and "not JSON serializable" in str(exc):
            payload["errorType"] = "Runtime.MarshalError"
        _log_error(payload, request_id)
        return True, json.dumps(payload)


def serve(requests: IO[str], results: IO[str], loader: Callable[[], Handler]) -> None:
    """Initialise (import the handler), say ready, then answer requests until the request pipe closes.

    An init error is reported on the first request, after which the worker exits so the next
    invocation re-imports the (maybe fixed) code, as Lambda re-initialises a failed environment.
    """
    try:
        handler: Handler | None = loader()
        init_error: dict[str, Any] | None = None
    except Exception as exc:
        handler, init_error = None, _error(exc, _init_error_type(exc))
    _result(results, {"ready": True})
    for line in requests:
        if not line.strip():
            continue
        message = json.loads(line)
        request_id = str(message["id"])
        if handler is None:
            payload = dict(init_error or {}, requestId=request_id)
            _log_error(payload, request_id)
            _result(results, {"id": request_id, "errored": True, "init_error": True, "payload": json.dumps(payload)})
            return
        errored, text = _invoke(handler, message)
        _result(results, {"id": request_id, "errored": errored, "payload": text})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--request-fd", type=int, required=True)
    parser.add_argument("--result-fd", type=int, required=True)
    parser.add_argument("--code-dir", type=Path, required=True)
    parser.add_argument("--handler", required=True)
    parser.add_argument("--module-name", required=True)
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.stderr.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    code_dir = args.code_dir.resolve()
    os.chdir(code_dir)  # Lambda's working directory is the task root
    with (
        open(args.request_fd, encoding="utf-8", closefd=True) as requests,
        open(args.result_fd, "w", encoding="utf-8", closefd=True) as results,
    ):
        serve(requests, results, lambda: load_handler(code_dir, args.handler, args.module_name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
