"""The API shim's access log: one line per request with the status it decided, even when the client left."""

from __future__ import annotations

import json
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadloop_cli.devstack.events.api import ApiGatewayShim, ApiRoute
from leadloop_cli.devstack.logsink import LogSink
from leadloop_cli.devstack.runtime import InvokeResult
from leadloop_cli.stackclient import wait_until


class _Gate:
    """An invoke that waits until the test lets it answer (after the client has gone)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, event: Any) -> InvokeResult:
        self.entered.set()
        self.release.wait(30)
        return InvokeResult(json.dumps({"statusCode": 200, "body": "ok"}), False)


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[LogSink]:
    log = LogSink(tmp_path / "functions.log")
    yield log
    log.close()


def _shim(sink: LogSink, gate: _Gate, *, timeout: float) -> ApiGatewayShim:
    route = ApiRoute("WebhookApi", "abc123", "dev", "/webhook", "POST", "WebhookFunction", gate)
    shim = ApiGatewayShim([route], sink=sink, account_id="123456789012", integration_timeout=timeout)
    shim.start()
    return shim


def _abandon(shim: ApiGatewayShim, gate: _Gate) -> None:
    """POST, wait until the function runs, then reset the connection the way a timed-out client does."""
    host, port = shim.base_url.removeprefix("http://").split(":")
    client = socket.create_connection((host, int(port)), timeout=10)
    body = b'{"object":"page"}'
    client.sendall(
        b"POST /dev/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    assert gate.entered.wait(10)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST on close
    client.close()


def _access_lines(sink: LogSink) -> list[str]:
    return [line for line in sink.path.read_text().splitlines() if line.startswith("[WebhookApi]")]


def test_a_504_whose_client_gave_up_is_logged(sink: LogSink) -> None:
    gate = _Gate()
    shim = _shim(sink, gate, timeout=0.5)
    try:
        _abandon(shim, gate)
        wait_until(lambda: bool(_access_lines(sink)), timeout=20, what="the access line of the abandoned request")
        [line] = _access_lines(sink)
        assert '"POST /dev/webhook" 504 ' in line and "client gone" in line
    finally:
        gate.release.set()
        shim.stop()


def test_an_answer_the_client_never_read_is_logged_with_its_status(sink: LogSink) -> None:
    gate = _Gate()
    shim = _shim(sink, gate, timeout=20)
    try:
        _abandon(shim, gate)
        gate.release.set()
        wait_until(lambda: bool(_access_lines(sink)), timeout=20, what="the access line of the abandoned request")
        [line] = _access_lines(sink)
        assert '"POST /dev/webhook" 200 ' in line and "client gone" in line
    finally:
        gate.release.set()
        shim.stop()
