"""Where a running ``leadloop dev up`` tells other commands how to reach it.

``dev up`` writes its JSON summary (endpoints, secrets of the *local* fake Meta app, resource names) to
``$LEADLOOP_STATE_DIR/devstack.json`` (default ``~/.leadloop``) and removes it on exit. Commands run
with ``--local`` call :func:`load_local_target`. The file is private (0600): it holds local secrets.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

__all__ = [
    "STATE_DIR_ENV",
    "NoLocalStackError",
    "default_log_file",
    "default_state_file",
    "load_local_target",
    "read_state",
    "remove_state",
    "running_stack",
    "state_dir",
    "write_state",
]

STATE_DIR_ENV = "LEADLOOP_STATE_DIR"


class NoLocalStackError(RuntimeError):
    """No ``leadloop dev up`` is running (no state file, or its process is gone)."""


def state_dir() -> Path:
    configured = os.environ.get(STATE_DIR_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".leadloop"


def default_state_file() -> Path:
    return state_dir() / "devstack.json"


def default_log_file() -> Path:
    return state_dir() / "devstack.log"


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def write_state(document: dict[str, Any], path: Path | None = None) -> Path:
    """Write atomically, readable by the owner only."""
    path = path or default_state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2)
        handle.write("\n")
    os.replace(temporary, path)
    return path


def read_state(path: Path | None = None) -> dict[str, Any] | None:
    path = path or default_state_file()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def running_stack(path: Path | None = None) -> dict[str, Any] | None:
    """The state of a live local stack, or None (a stale file from a killed process does not count)."""
    document = read_state(path)
    if document is None or not _alive(document.get("pid")):
        return None
    return document


def remove_state(path: Path | None = None, *, pid: int | None = None) -> None:
    """Remove the state file; with ``pid``, only if that process wrote it."""
    path = path or default_state_file()
    if pid is not None:
        document = read_state(path)
        if document is not None and document.get("pid") != pid:
            return
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def load_local_target(path: Path | None = None) -> dict[str, Any]:
    """The running local stack's summary (see ``leadloop dev up --json``), or a clear error."""
    path = path or default_state_file()
    document = read_state(path)
    if document is None:
        raise NoLocalStackError(f"no local stack is running (no {path}); start one with `leadloop dev up`")
    if not _alive(document.get("pid")):
        raise NoLocalStackError(
            f"the local stack that wrote {path} (pid {document.get('pid')}) is gone; start one with `leadloop dev up`"
        )
    return document
