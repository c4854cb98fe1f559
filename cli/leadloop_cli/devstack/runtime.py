"""Run a function's real handler in warm worker subprocesses, with Lambda's env, timeout and errors.

Each worker (:mod:`worker`) is one "container": started with exactly the template's environment for
that function plus what Lambda itself injects, it imports the handler once and serves invocations.
The parent enforces the function's Timeout (kill, answer "Task timed out"), replaces workers that
die, and grows a pool per function on demand: its reserved concurrency, else ``dev up --workers``
(:mod:`leadloop_cli.workerpool`), so a burst of webhooks runs side by side as Lambda would scale it.
A worker killed while idle is dropped, never handed the next invocation.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..workerpool import DEFAULT_WORKERS, pool_size_for
from .logsink import LogSink
from .resources import FunctionSpec

__all__ = ["FAKE_CREDENTIALS", "FunctionRuntime", "InvokeResult", "lambda_environment"]

log = logging.getLogger(__name__)

WORKER_SCRIPT = Path(__file__).with_name("worker.py")
INIT_TIMEOUT_SECONDS = 10.0
#: Workers of one function importing at once: on a few cores, more would only slow each start.
MAX_STARTING = 2
#: Credentials of a worker whose function has no role session (moto not enforcing IAM).
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@dataclass(frozen=True)
class InvokeResult:
    """What Lambda returns: the payload JSON text and whether it is a function error."""

    payload: str
    errored: bool
    logs: str = ""
    request_id: str = ""

    def json(self) -> Any:
        return json.loads(self.payload)

    @property
    def error_type(self) -> str | None:
        if not self.errored:
            return None
        try:
            body = self.json()
        except ValueError:
            return "Unknown"
        return str(body.get("errorType", "Unknown")) if isinstance(body, dict) else "Unknown"

    def as_moto_tuple(self) -> tuple[str, bool, str]:
        return self.payload, self.errored, self.logs


def _error_result(request_id: str, error_type: str, message: str) -> InvokeResult:
    body = {"errorType": error_type, "errorMessage": message, "requestId": request_id}
    return InvokeResult(json.dumps(body), True, request_id=request_id)


def lambda_environment(
    spec: FunctionSpec,
    *,
    aws_endpoint_url: str,
    region: str,
    log_stream: str = "",
    credentials: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The whole environment of a worker: the template's variables plus Lambda's own, nothing else.

    ``credentials`` are the ``AWS_*`` variables of the function's role session, as Lambda sets them.
    """
    env = dict(spec.environment)
    paths = [str(spec.code_dir)] if spec.code_dir else []
    paths += [str(path) for path in spec.layer_dirs]
    env.update(
        {
            "AWS_ENDPOINT_URL": aws_endpoint_url,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            **(credentials if credentials is not None else FAKE_CREDENTIALS),
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "LAMBDA_TASK_ROOT": str(spec.code_dir or ""),
            "_HANDLER": spec.handler,
            "TZ": ":UTC",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "PYTHONPATH": os.pathsep.join(paths),
        }
    )
    if spec.log_format:
        env["AWS_LAMBDA_LOG_FORMAT"] = spec.log_format.upper()
    if spec.application_log_level:
        env["AWS_LAMBDA_LOG_LEVEL"] = spec.application_log_level.upper()
    return env


class _WorkerGone(Exception):
    """The worker process exited (crash, sys.exit, killed)."""


class _Worker:
    """One subprocess; requests on one pipe, results on another, output to the log sink."""

    def __init__(self, spec: FunctionSpec, env: dict[str, str], sink: LogSink) -> None:
        assert spec.code_dir is not None
        self.spec = spec
        request_read, request_write = os.pipe()
        result_read, result_write = os.pipe()
        command = [
            sys.executable,
            "-P",
            str(WORKER_SCRIPT),
            "--request-fd",
            str(request_read),
            "--result-fd",
            str(result_write),
            "--code-dir",
            str(spec.code_dir),
            "--handler",
            spec.handler,
            "--module-name",
            f"leadloop_fn_{spec.logical_id}",
        ]
        try:
            self.process = subprocess.Popen(
                command,
                env=env,
                cwd=spec.code_dir,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(request_read, result_write),
                start_new_session=True,  # Ctrl-C reaches the stack, which stops workers itself
            )
        finally:
            os.close(request_read)
            os.close(result_write)
        self._requests: IO[bytes] = os.fdopen(request_write, "wb")
        self._results = result_read
        self._poller = select.poll()
        self._poller.register(result_read, select.POLLIN | select.POLLHUP | select.POLLERR)
        self._buffer = b""
        self._closed = False
        self._drained = threading.Event()
        self._drained_id = ""
        assert self.process.stdout is not None
        sink.pump(spec.logical_id, self.process.stdout, self._on_marker)

    def _on_marker(self, request_id: str) -> None:
        if request_id == self._drained_id:
            self._drained.set()

    def wait_drained(self, timeout: float = 0.5) -> None:
        """Wait (briefly) until the request's output reached the log, so END comes after it."""
        self._drained.wait(timeout)

    def _read_message(self, timeout: float) -> dict[str, Any] | None:
        """The next result line, or None when ``timeout`` passes first."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if not self._poller.poll(remaining * 1000):
                return None
            chunk = os.read(self._results, 1 << 20)
            if not chunk:
                raise _WorkerGone
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        message: dict[str, Any] = json.loads(line)
        return message

    def wait_ready(self) -> bool:
        return self._read_message(INIT_TIMEOUT_SECONDS) is not None

    def invoke(self, request: dict[str, Any], timeout: float) -> dict[str, Any] | None:
        self._drained_id = str(request["id"])
        self._drained.clear()
        try:
            self._requests.write(json.dumps(request).encode() + b"\n")
            self._requests.flush()
        except (BrokenPipeError, ValueError, OSError) as exc:
            raise _WorkerGone from exc
        return self._read_message(timeout)

    def exit_code(self) -> int | None:
        return self.process.poll()

    def terminate(self) -> None:
        """Kill the process only; a thread blocked reading its result sees EOF and cleans up."""
        if self.process.poll() is None:
            self.process.kill()

    def kill(self) -> None:
        self.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            log.warning("worker %s did not exit", self.process.pid)
        if self._closed:
            return
        self._closed = True
        for close in (self._requests.close, lambda: os.close(self._results)):
            with contextlib.suppress(OSError):
                close()

    def stop(self) -> None:
        """Close the request pipe (the worker exits), then make sure it is gone."""
        with contextlib.suppress(OSError):
            self._requests.close()  # idempotent; kill() closing it again is a no-op
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=2)
        self.kill()


class FunctionRuntime:
    """Invokes one function: a lazily grown pool of warm workers, Lambda's timeout and error shapes.

    ``pool_size`` is the pool of a function without ReservedConcurrentExecutions; one that reserves
    concurrency gets exactly that many workers, as Lambda would run it (see :mod:`leadloop_cli.workerpool`).
    ``credentials`` (``AWS_*`` variables) are the function's role session; its code runs with them.
    """

    def __init__(
        self,
        spec: FunctionSpec,
        *,
        aws_endpoint_url: str,
        region: str,
        sink: LogSink,
        pool_size: int = DEFAULT_WORKERS,
        credentials: Mapping[str, str] | None = None,
    ) -> None:
        self.spec = spec
        self._endpoint = aws_endpoint_url
        self._region = region
        self._sink = sink
        self._credentials = dict(credentials) if credentials is not None else None
        self.pool_size = pool_size_for(spec.reserved_concurrency, pool_size)
        self._idle: list[_Worker] = []
        self._busy: set[_Worker] = set()
        self._starting = 0
        self._closed = False
        self._cond = threading.Condition()

    # ------------------------------------------------------------------ pool
    def _spawn(self) -> _Worker:
        stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        env = lambda_environment(
            self.spec,
            aws_endpoint_url=self._endpoint,
            region=self._region,
            log_stream=stream,
            credentials=self._credentials,
        )
        worker = _Worker(self.spec, env, self._sink)
        try:
            ready = worker.wait_ready()
        except _WorkerGone:
            ready = False
        if not ready:
            worker.kill()
            raise _WorkerGone(f"worker did not start within {INIT_TIMEOUT_SECONDS:.0f} s")
        return worker

    def _acquire(self) -> _Worker:
        dead: list[_Worker] = []
        try:
            with self._cond:
                while True:
                    if self._closed:
                        raise _WorkerGone("the local stack is shutting down")
                    while self._idle and self._idle[-1].exit_code() is not None:
                        dead.append(self._idle.pop())  # killed while idle: Lambda never reuses it
                    if self._idle:
                        worker = self._idle.pop()
                        self._busy.add(worker)
                        return worker
                    if len(self._busy) + self._starting < self.pool_size and self._starting < MAX_STARTING:
                        self._starting += 1
                        break
                    self._cond.wait()
        finally:
            for gone in dead:
                gone.kill()
        try:
            worker = self._spawn()
        except BaseException:
            with self._cond:
                self._starting -= 1
                self._cond.notify_all()
            raise
        with self._cond:
            self._starting -= 1
            self._busy.add(worker)
            self._cond.notify_all()  # a waiter may start the next worker now
        return worker

    def _release(self, worker: _Worker, *, keep: bool) -> None:
        with self._cond:
            self._busy.discard(worker)
            if keep and not self._closed and worker.exit_code() is None:
                self._idle.append(worker)
                worker = None  # type: ignore[assignment]
            self._cond.notify()
        if worker is not None:
            worker.kill()

    # ------------------------------------------------------------------ invoke
    def invoke(self, event: Any) -> InvokeResult:
        """Run the handler on ``event`` like a synchronous Lambda invoke."""
        request_id = str(uuid.uuid4())
        tag = self.spec.logical_id
        if self.spec.code_dir is None:
            return _error_result(request_id, "Runtime.InvalidEntrypoint", f"{tag} has no local code")
        started = time.monotonic()
        try:
            result = self._invoke(request_id, event)
        finally:
            duration = (time.monotonic() - started) * 1000
            self._sink.write(tag, f"END RequestId: {request_id}")
            self._sink.write(tag, f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms")
        return result

    def _invoke(self, request_id: str, event: Any) -> InvokeResult:
        try:
            worker = self._acquire()
        except _WorkerGone as exc:
            return _error_result(request_id, "Runtime.Unavailable", f"RequestId: {request_id} Error: {exc}")
        self._sink.write(self.spec.logical_id, f"START RequestId: {request_id} Version: $LATEST")
        timeout = float(self.spec.timeout)
        request = {
            "id": request_id,
            "event": event,
            "deadline_ms": time.time() * 1000 + timeout * 1000,
            "function_arn": self.spec.arn,
        }
        try:
            message = worker.invoke(request, timeout)
        except _WorkerGone:
            self._release(worker, keep=False)
            code = worker.exit_code()
            return _error_result(
                request_id,
                "Runtime.ExitError",
                f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}",
            )
        if message is None:
            self._release(worker, keep=False)
            self._sink.write(self.spec.logical_id, f"Task timed out after {timeout:.2f} seconds")
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            return _error_result(
                request_id, "Sandbox.Timedout", f"{stamp} {request_id} Task timed out after {timeout:.2f} seconds"
            )
        errored = bool(message.get("errored"))
        worker.wait_drained()
        # A worker whose init failed exits after reporting it; the next invoke starts a fresh one.
        self._release(worker, keep=not message.get("init_error"))
        return InvokeResult(str(message["payload"]), errored, request_id=request_id)

    # ------------------------------------------------------------------ lifecycle
    @property
    def live_workers(self) -> int:
        with self._cond:
            return len(self._idle) + len(self._busy)

    def worker_pids(self) -> list[int]:
        with self._cond:
            return [worker.process.pid for worker in [*self._idle, *self._busy]]

    def recycle(self) -> None:
        """Stop idle workers so the next invoke imports the code afresh (busy ones finish first)."""
        with self._cond:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            idle, busy = self._idle, list(self._busy)
            self._idle = []
            self._cond.notify_all()
        for worker in idle:
            worker.kill()
        for worker in busy:
            worker.terminate()
