"""``leadloop dev up --json`` as a subprocess: first line, state file, ``dev fire --local``, clean SIGTERM."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.devstack.devstack_support import TEMPLATE

LEADLOOP = Path(sys.executable).with_name("leadloop")
COMMAND = [str(LEADLOOP)] if LEADLOOP.exists() else [sys.executable, "-m", "leadloop_cli.main"]


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        process.kill()
        raise AssertionError(
            f"no stdout line within {timeout} s; stderr: {process.stderr.read() if process.stderr else ''}"
        )
    return process.stdout.readline()


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.timeout(120)
def test_dev_up_json_fire_and_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "LEADLOOP_STATE_DIR": str(tmp_path / "state")}
    env.pop("LEADLOOP_TEMPLATE", None)
    process = subprocess.Popen(
        [*COMMAND, "dev", "up", "--json", "--template", str(TEMPLATE), "--param", "RetentionDays=9"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _first_line(process, timeout=60)
        document: dict[str, Any] = json.loads(line)
        for key in (
            "webhook_url",
            "aws_endpoint_url",
            "graph_url",
            "region",
            "app_secret",
            "verify_token",
            "log_file",
            "resources",
            "seed",
            "page_access_token",
            "app_id",
            "stack_name",
            "state_file",
        ):
            assert document.get(key), key
        assert set(document["seed"]) == {"page_id", "form_id", "account_id", "audience_id"}
        assert document["graph_url"].startswith("http://127.0.0.1:")  # the real simulator verified the webhook
        state_file = Path(document["state_file"])
        assert state_file == tmp_path / "state" / "devstack.json"
        assert json.loads(state_file.read_text())["resources"] == document["resources"]
        assert state_file.stat().st_mode & 0o777 == 0o600

        fired = _run(env, "dev", "fire", "ScheduledFunction", "Hourly", "--local")
        assert fired.returncode == 0, fired.stderr
        assert json.loads(fired.stdout) == {"got": {"trigger": "schedule"}}
        ambiguous = _run(env, "dev", "fire", "ScheduledFunction", "--local")
        assert ambiguous.returncode == 1
        assert ambiguous.stderr.count("\n") == 1 and "several schedules" in ambiguous.stderr
        second = _run(env, "dev", "up", "--json", "--template", str(TEMPLATE))
        assert second.returncode == 1 and "already running" in second.stderr and second.stdout == ""

        log_lines = Path(document["log_file"]).read_text().splitlines()
        assert any(line.startswith("[ScheduledFunction] START RequestId") for line in log_lines)
    finally:
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = process.wait(timeout=30)
    assert code == 0, process.stderr.read() if process.stderr else ""
    assert time.monotonic() - started < 15
    assert not (tmp_path / "state" / "devstack.json").exists()
    missing = _run(env, "dev", "fire", "ScheduledFunction", "Hourly", "--local")
    assert missing.returncode == 1 and "no local stack is running" in missing.stderr
