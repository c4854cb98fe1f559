"""``leadloop`` run as a user runs it: ``leadloop dev up --json`` in a subprocess, operator commands against it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from leadloop_cli.stackclient import StackClient


def _leadloop() -> list[str]:
    exe = shutil.which("leadloop", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "leadloop_cli.main"]


@contextlib.contextmanager
def running_stack(state_dir: Path, *extra: str) -> Iterator[StackClient]:
    """``leadloop dev up --json`` with the e2e parameters (and ``extra`` arguments) until the block ends."""
    env = os.environ | {"LEADLOOP_STATE_DIR": str(state_dir)}
    process = subprocess.Popen(
        [
            *_leadloop(),
            "dev",
            "up",
            "--json",
            "--param",
            "FetchRetryBaseDelaySeconds=1",
            "--param",
            "ReplaceChunkRows=50",
            "--log-file",
            str(state_dir / "functions.log"),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    first_line = process.stdout.readline()
    if not first_line:
        _, err = process.communicate(timeout=30)
        pytest.fail(f"leadloop dev up exited early: {err[-2000:]}")
    info = json.loads(first_line)
    try:
        yield StackClient(info)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert not Path(str(info.get("state_file") or state_dir / "none")).exists(), "state file left behind"


def leadloop_cli(stack: StackClient, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``leadloop ARGS --local`` against the running stack, as an operator would."""
    state_dir = str(Path(str(stack.info["state_file"])).parent)
    return subprocess.run(
        [*_leadloop(), *args, "--local"],
        check=False,
        capture_output=True,
        text=True,
        env=os.environ | {"LEADLOOP_STATE_DIR": state_dir},
        timeout=timeout,
    )


@dataclass
class CliRun:
    """What one in-process ``leadloop`` run gave: the exit code, stdout and stderr."""

    code: int
    out: str
    err: str
