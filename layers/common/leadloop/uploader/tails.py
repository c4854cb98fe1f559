"""Full calls under a backlog: when Lambda cut the batch at its 6 MB payload, short tails wait.

Lambda ends an SQS batch before the event would pass 6 MB (6,291,456 bytes), so a batch that
arrives within one maximum message of that size was cut there and more rows are waiting on the
queue. Sending such a batch's last, partial ``/users`` call of a group would cost a call for a
fraction of 10,000 rows, again and again under a bulk load; instead the messages that would
fill only that tail wait (returned at once, no backoff) and join the next batch, which Lambda
starts right away. Only groups that fill at least one call are trimmed, so a small audience's
rows never wait behind a large one, and a batch that was not cut is sent whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from leadloop.rows.messages import MAX_BODY_BYTES
from leadloop.uploader.batching import Received, group_key

#: Lambda's invoke payload limit for a batch (the serialized event).
MAX_EVENT_BYTES = 6 * 1024 * 1024
#: A batch at least this large could not take one more full-size message: Lambda cut it.
CUT_THRESHOLD = MAX_EVENT_BYTES - MAX_BODY_BYTES - 8 * 1024


def was_cut(event: Mapping[str, Any]) -> bool:
    """Whether the batch's event is so close to 6 MB that Lambda must have ended it there."""
    size = len(json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode())
    return size >= CUT_THRESHOLD


def hold_back_tails(received: Sequence[Received], max_rows: int) -> tuple[list[Received], list[Received]]:
    """(send now, wait): per group of at least ``max_rows`` distinct rows, the messages in batch
    order whose rows fill whole calls are sent; the later ones wait for the next batch."""
    groups: dict[Any, list[Received]] = {}
    for item in received:
        groups.setdefault(group_key(item.message), []).append(item)
    wait: set[str] = set()
    for items in groups.values():
        distinct = {tuple(row) for item in items for row in item.message.rows}
        whole = len(distinct) // max_rows * max_rows
        if whole == 0:
            continue
        seen: set[tuple[str, ...]] = set()
        for item in items:
            seen.update(tuple(row) for row in item.message.rows)
            if len(seen) > whole:
                wait.add(item.message_id)
    return [r for r in received if r.message_id not in wait], [r for r in received if r.message_id in wait]
