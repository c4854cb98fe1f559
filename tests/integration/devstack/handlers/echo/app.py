"""Echo handler for runtime tests: env, context, sleep, crash, errors."""

import os
import sys
import time
from typing import Any

import fixture_common  # type: ignore[import-not-found]

INIT_PID = os.getpid()


def handler(event: Any, context: Any) -> Any:
    action = event.get("action") if isinstance(event, dict) else None
    if action == "sleep":
        time.sleep(event["seconds"])
    elif action == "crash":
        os._exit(7)
    elif action == "raise":
        raise KeyError("missing thing")
    elif action == "unserializable":
        return {"value": object()}
    return {
        "event": event,
        "env": dict(os.environ),
        "pid": os.getpid(),
        "init_pid": INIT_PID,
        "sys_path": sys.path,
        "module": __name__,
        "layer_file": fixture_common.__file__,
        "function_name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
