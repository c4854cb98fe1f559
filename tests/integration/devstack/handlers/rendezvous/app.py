"""Rendezvous handler for pool tests: each invocation waits until ``count`` invocations run at once."""

import os
import time
from pathlib import Path
from typing import Any


def handler(event: Any, context: Any) -> Any:
    room = Path(event["room"])
    (room / f"{os.getpid()}-{context.aws_request_id}").touch()
    deadline = time.monotonic() + float(event.get("wait_seconds", 15))
    while time.monotonic() < deadline:
        if len(list(room.iterdir())) >= int(event["count"]):
            return {"met": True, "pid": os.getpid()}
        time.sleep(0.02)
    return {"met": False, "pid": os.getpid()}
