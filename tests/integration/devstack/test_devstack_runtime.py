"""Worker subprocesses: warm reuse, Lambda's error shapes, timeout, crash/respawn, init errors, the pool."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadloop_cli.devstack.logsink import LogSink
from leadloop_cli.devstack.resources import FunctionSpec
from leadloop_cli.devstack.runtime import FunctionRuntime, lambda_environment

HANDLERS = Path(__file__).parent / "handlers"


def _spec(
    code_dir: Path,
    *,
    timeout: int = 2,
    env: dict[str, str] | None = None,
    reserved: int | None = None,
    logical_id: str = "EchoFunction",
) -> FunctionSpec:
    return FunctionSpec(
        logical_id=logical_id,
        name=f"local-{logical_id}",
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:local-{logical_id}",
        handler="app.handler",
        runtime="python3.13",
        timeout=timeout,
        memory_size=256,
        environment=env or {"CALLS_TABLE": "unused"},
        code_dir=code_dir,
        layer_dirs=(HANDLERS / "layer",),
        reserved_concurrency=reserved,
        log_group=f"/aws/lambda/local-{logical_id}",
    )


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[LogSink]:
    log = LogSink(tmp_path / "functions.log")
    yield log
    log.close()


@pytest.fixture
def echo(sink: LogSink) -> Iterator[FunctionRuntime]:
    runtime = FunctionRuntime(
        _spec(HANDLERS / "echo"), aws_endpoint_url="http://127.0.0.1:9", region="us-east-1", sink=sink
    )
    yield runtime
    runtime.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie until reaped counts as gone
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_warm_worker_is_reused_and_context_is_lambda_like(echo: FunctionRuntime) -> None:
    first = echo.invoke({"n": 1}).json()
    second = echo.invoke({"n": 2}).json()
    assert first["pid"] == second["pid"] == first["init_pid"]
    assert second["event"] == {"n": 2}
    assert first["request_id"] != second["request_id"]
    assert first["function_name"] == "local-EchoFunction" and first["memory"] == "256"
    assert 1000 < first["remaining_ms"] <= 2000
    assert echo.live_workers == 1


def test_two_functions_see_only_their_own_environment(sink: LogSink) -> None:
    one = FunctionRuntime(
        _spec(HANDLERS / "echo", env={"ONLY_ONE": "1", "CALLS_TABLE": "t1"}, logical_id="One"),
        aws_endpoint_url="http://127.0.0.1:9",
        region="eu-west-1",
        sink=sink,
    )
    two = FunctionRuntime(
        _spec(HANDLERS / "echo", env={"ONLY_TWO": "2", "CALLS_TABLE": "t2"}, logical_id="Two"),
        aws_endpoint_url="http://127.0.0.1:9",
        region="eu-west-1",
        sink=sink,
    )
    try:
        env_one = one.invoke({}).json()["env"]
        env_two = two.invoke({}).json()["env"]
    finally:
        one.close()
        two.close()
    assert env_one["ONLY_ONE"] == "1" and "ONLY_TWO" not in env_one and env_one["CALLS_TABLE"] == "t1"
    assert env_two["ONLY_TWO"] == "2" and "ONLY_ONE" not in env_two and env_two["CALLS_TABLE"] == "t2"
    expected = lambda_environment(one.spec, aws_endpoint_url="http://127.0.0.1:9", region="eu-west-1")
    extra = set(env_one) - set(expected)
    assert extra <= {"LC_CTYPE"}  # the interpreter's own C-locale coercion, nothing of the parent
    assert env_one["AWS_LAMBDA_FUNCTION_NAME"] == "local-One" and env_one["AWS_REGION"] == "eu-west-1"


def test_handler_exception_and_marshal_error(echo: FunctionRuntime) -> None:
    result = echo.invoke({"action": "raise"})
    assert result.errored and result.error_type == "KeyError"
    body = result.json()
    assert body["errorMessage"] == "'missing thing'" and body["requestId"] == result.request_id
    assert any("echo/app.py" in line for line in body["stackTrace"])
    marshal = echo.invoke({"action": "unserializable"})
    assert marshal.errored and marshal.error_type == "Runtime.MarshalError"
    assert not echo.invoke({}).errored  # the worker survived both


def test_timeout_kills_and_replaces_the_worker(echo: FunctionRuntime) -> None:
    pid = echo.invoke({}).json()["pid"]
    started = time.monotonic()
    result = echo.invoke({"action": "sleep", "seconds": 30})
    elapsed = time.monotonic() - started
    assert result.errored and result.error_type == "Sandbox.Timedout"
    assert result.json()["errorMessage"].endswith("Task timed out after 2.00 seconds")
    assert 1.9 < elapsed < 4
    assert not _alive(pid)
    assert echo.invoke({}).json()["pid"] != pid


def test_crash_is_reported_and_the_next_invoke_respawns(echo: FunctionRuntime) -> None:
    result = echo.invoke({"action": "crash"})
    assert result.errored and result.error_type == "Runtime.ExitError"
    assert "exit status 7" in result.json()["errorMessage"]
    assert not echo.invoke({"again": True}).errored


def test_init_error_then_fixed_code_is_picked_up(tmp_path: Path, sink: LogSink) -> None:
    code = tmp_path / "broken"
    code.mkdir()
    (code / "app.py").write_text("import not_a_module_anywhere\n\ndef handler(event, context):\n    return 1\n")
    runtime = FunctionRuntime(_spec(code), aws_endpoint_url="http://127.0.0.1:9", region="us-east-1", sink=sink)
    try:
        result = runtime.invoke({})
        assert result.errored and result.error_type == "Runtime.ImportModuleError"
        assert "not_a_module_anywhere" in result.json()["errorMessage"]
        (code / "app.py").write_text("def handler(event, context):\n    return {'fixed': True}\n")
        assert runtime.invoke({}).json() == {"fixed": True}
        (code / "app.py").write_text("def other(event, context):\n    return 1\n")
        runtime.recycle()
        assert runtime.invoke({}).error_type == "Runtime.HandlerNotFound"
    finally:
        runtime.close()


def test_pool_runs_invocations_in_parallel_up_to_its_size(sink: LogSink) -> None:
    runtime = FunctionRuntime(
        _spec(HANDLERS / "echo", timeout=10),
        aws_endpoint_url="http://x",
        region="us-east-1",
        sink=sink,
        pool_size=2,
    )
    runtime.invoke({})  # one warm worker
    pids: list[int] = []
    lock = threading.Lock()

    def call() -> None:
        result = runtime.invoke({"action": "sleep", "seconds": 1}).json()
        with lock:
            pids.append(result["pid"])

    try:
        threads = [threading.Thread(target=call) for _ in range(3)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        assert runtime.live_workers == 2 and len(set(pids)) == 2
        assert 2.0 <= elapsed < 3.5  # two in parallel, the third waited for a free worker
        worker_pids = runtime.worker_pids()
    finally:
        runtime.close()
    assert all(not _alive(pid) for pid in worker_pids)


def test_reserved_concurrency_caps_the_pool(sink: LogSink) -> None:
    runtime = FunctionRuntime(
        _spec(HANDLERS / "echo", reserved=1), aws_endpoint_url="http://x", region="us-east-1", sink=sink, pool_size=2
    )
    assert runtime.pool_size == 1
    runtime.close()


def test_log_lines_are_tagged_and_ordered(echo: FunctionRuntime, sink: LogSink) -> None:
    echo.invoke({"action": "raise"})
    lines = sink.path.read_text().splitlines()
    assert lines[0].startswith("[EchoFunction] START RequestId: ")
    error = next(i for i, line in enumerate(lines) if '"errorType": "KeyError"' in line or "KeyError" in line)
    end = next(i for i, line in enumerate(lines) if line.startswith("[EchoFunction] END RequestId: "))
    assert error < end
    assert lines[end + 1].startswith("[EchoFunction] REPORT RequestId: ")
    assert json.dumps(lines)  # plain text lines
