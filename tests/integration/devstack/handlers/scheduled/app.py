from typing import Any

from fixture_common import record  # type: ignore[import-not-found]


def handler(event: Any, context: Any) -> Any:
    record("scheduled", event)
    return {"got": event}
