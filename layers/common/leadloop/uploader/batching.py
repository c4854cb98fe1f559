"""Pure batching: group, dedupe, split into calls of at most 10,000 rows, session fields, payload.

Duplicates are removed within a group so one call never carries a row twice (Meta would count it
twice in ``num_received``). Rows keep the order of their messages, so a message's rows land in
one call or two neighbouring ones; each call remembers every message whose rows it carries, so a
failed call fails exactly those messages.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadloop.audience import payload_cell
from leadloop.rows.audience_rows import GroupKey
from leadloop.rows.messages import AudienceRowsMessage
from leadloop.rows.session import random_session_id

#: Meta's hard limit of records per ``/users`` request (meta-api.md §5.3).
MAX_ROWS_PER_CALL = 10_000


@dataclass(frozen=True)
class Received:
    """One readable SQS record of the batch."""

    message_id: str
    receipt_handle: str
    message: AudienceRowsMessage
    receive_count: int = 1
    body: str = ""


@dataclass(frozen=True)
class Session:
    """Meta's upload session: one id for all calls of a group, ``batch_seq`` 1..n."""

    session_id: int
    batch_seq: int
    last_batch_flag: bool
    estimated_num_total: int

    def as_json(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "batch_seq": self.batch_seq,
            "last_batch_flag": self.last_batch_flag,
            "estimated_num_total": self.estimated_num_total,
        }


@dataclass(frozen=True)
class Call:
    """One ``/users`` request and the messages whose rows it carries."""

    key: GroupKey
    rows: tuple[tuple[str, ...], ...]
    message_ids: frozenset[str]
    session: Session | None = None

    def form(self) -> dict[str, str]:
        """The form fields of the request (``payload`` and ``session`` JSON-encoded)."""
        payload = {
            "schema": list(self.key.schema),
            "data": [[payload_cell(k, c) for k, c in zip(self.key.schema, row, strict=True)] for row in self.rows],
            "is_raw": True,
        }
        if self.key.page_ids:
            payload["page_ids"] = list(self.key.page_ids)
        fields = {"payload": json.dumps(payload, separators=(",", ":"))}
        if self.session is not None:
            fields["session"] = json.dumps(self.session.as_json(), separators=(",", ":"))
        if self.key.op == "remove":
            # POST with a method override: HTTP gives a DELETE body no meaning, so proxies may drop it.
            fields["method"] = "DELETE"
        return fields


@dataclass
class _Group:
    rows: dict[tuple[str, ...], set[str]] = field(default_factory=dict)


def well_formed(message: AudienceRowsMessage) -> bool:
    """Every row has one cell per schema key (the model checks it too; this guards the Graph call)."""
    width = len(message.schema_keys)
    return bool(message.rows) and all(len(row) == width for row in message.rows)


def group_key(msg: AudienceRowsMessage) -> GroupKey:
    """What rows must share to travel in one call."""
    return GroupKey(msg.audience_id, msg.op, tuple(msg.schema_keys), tuple(msg.page_ids or ()), msg.account_id or None)


def plan_calls(
    received: Sequence[Received],
    *,
    max_rows: int = MAX_ROWS_PER_CALL,
    new_session_id: Callable[[], int] | None = None,
) -> list[Call]:
    """The calls that upload every row of ``received`` (which must be well formed)."""
    groups: dict[GroupKey, _Group] = {}
    for item in received:
        group = groups.setdefault(group_key(item.message), _Group())
        for row in item.message.rows:
            group.rows.setdefault(tuple(row), set()).add(item.message_id)
    make_id = new_session_id or random_session_id
    calls: list[Call] = []
    for key, group in groups.items():
        rows = list(group.rows.items())
        chunks = [rows[i : i + max_rows] for i in range(0, len(rows), max_rows)]
        session_id = make_id() if len(chunks) > 1 else None
        for seq, chunk in enumerate(chunks, start=1):
            session = Session(session_id, seq, seq == len(chunks), len(rows)) if session_id is not None else None
            ids = frozenset(mid for _, owners in chunk for mid in owners)
            calls.append(Call(key, tuple(r for r, _ in chunk), ids, session))
    return calls
