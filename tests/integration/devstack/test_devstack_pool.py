"""How many warm workers a function gets: its reserved concurrency, else the stack's worker setting."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadloop_cli.devstack.logsink import LogSink
from leadloop_cli.devstack.runtime import FunctionRuntime
from leadloop_cli.stackclient import wait_until
from leadloop_cli.workerpool import DEFAULT_WORKERS, MAX_WORKERS
from tests.integration.devstack.test_devstack_runtime import HANDLERS, _alive, _spec


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[LogSink]:
    log = LogSink(tmp_path / "functions.log")
    yield log
    log.close()


def _runtime(sink: LogSink, *, reserved: int | None, **options: Any) -> FunctionRuntime:
    spec = _spec(HANDLERS / "rendezvous", timeout=30, reserved=reserved)
    return FunctionRuntime(spec, aws_endpoint_url="http://127.0.0.1:9", region="us-east-1", sink=sink, **options)


def _burst(runtime: FunctionRuntime, room: Path, count: int) -> list[dict[str, Any]]:
    """``count`` invocations at once, each waiting (up to 15 s) until all ``count`` run together."""
    room.mkdir()
    results: list[dict[str, Any]] = []
    lock = threading.Lock()

    def call() -> None:
        answer = runtime.invoke({"room": str(room), "count": count}).json()
        with lock:
            results.append(answer)

    threads = [threading.Thread(target=call) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_an_unreserved_function_serves_a_burst_with_the_default_pool(sink: LogSink, tmp_path: Path) -> None:
    runtime = _runtime(sink, reserved=None)
    try:
        assert runtime.pool_size == DEFAULT_WORKERS >= 6
        results = _burst(runtime, tmp_path / "room", 6)
    finally:
        runtime.close()
    assert all(r["met"] for r in results), results
    assert len({r["pid"] for r in results}) == 6


def test_reserved_concurrency_sizes_the_pool_whatever_the_worker_setting(sink: LogSink, tmp_path: Path) -> None:
    runtime = _runtime(sink, reserved=4, pool_size=1)
    try:
        assert runtime.pool_size == 4
        results = _burst(runtime, tmp_path / "room", 4)
    finally:
        runtime.close()
    assert all(r["met"] for r in results) and len({r["pid"] for r in results}) == 4


def test_the_worker_setting_sizes_an_unreserved_pool_and_memory_caps_a_large_reservation(sink: LogSink) -> None:
    for reserved, option, expected in ((None, 3, 3), (None, 500, MAX_WORKERS), (1000, 2, MAX_WORKERS), (1, 8, 1)):
        runtime = _runtime(sink, reserved=reserved, pool_size=option)
        assert runtime.pool_size == expected, (reserved, option)
        runtime.close()


def test_an_idle_worker_that_died_is_never_handed_an_invocation(sink: LogSink) -> None:
    runtime = FunctionRuntime(
        _spec(HANDLERS / "echo"), aws_endpoint_url="http://127.0.0.1:9", region="us-east-1", sink=sink
    )
    try:
        pid = runtime.invoke({}).json()["pid"]
        os.kill(pid, signal.SIGKILL)  # the OOM killer, or a test, between two invocations
        wait_until(lambda: not _alive(pid), timeout=10, what="the worker to die")
        again = runtime.invoke({})
        assert not again.errored, again.payload
        assert again.json()["pid"] != pid and runtime.live_workers == 1
    finally:
        runtime.close()
