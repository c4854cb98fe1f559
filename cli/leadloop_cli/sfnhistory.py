"""Reading a Step Functions execution's history as it grows, for the ``--follow`` of replace commands."""

from __future__ import annotations

from typing import Any

__all__ = ["events_after"]


def events_after(sfn: Any, execution: str, *, after: int) -> tuple[list[dict[str, Any]], int]:
    """Events with an id above ``after``, oldest first, and the newest id.

    Read newest first, page by page, stopping at the first page that reaches ``after``: a long run's
    history is thousands of events, and a follower polling every few seconds wants only the tail.
    """
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution, "reverseOrder": True, "maxResults": 200}
    while True:
        page = sfn.get_execution_history(**kwargs)
        fresh = [e for e in page.get("events", []) if int(e["id"]) > after]
        events += fresh
        if len(fresh) < len(page.get("events", [])) or not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    newest = max((int(e["id"]) for e in events), default=after)
    return sorted(events, key=lambda e: int(e["id"])), newest
