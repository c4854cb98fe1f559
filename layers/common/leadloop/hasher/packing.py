"""A stream batch's audience rows → as few AudienceQueue messages as SQS's size cap allows.

Rows are grouped by what one ``/users`` call shares (audience, op, schema, pages, account), in the
order the batch produced them, and each group is cut into messages whose body (measured, not
estimated) stays within ``MAX_BODY_BYTES``. Every message remembers the stream records whose rows
it carries: if SQS refuses it, exactly those records fail and the stream delivers them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from leadloop.observability import logger
from leadloop.rows.audience_rows import AudienceRow, GroupKey
from leadloop.rows.messages import MAX_BODY_BYTES, MAX_ROWS, AudienceRowsMessage


@dataclass(frozen=True)
class Packed:
    message: AudienceRowsMessage
    body: str
    #: The stream records (sequence numbers) whose rows the message carries.
    sources: frozenset[str]

    @property
    def reason(self) -> str:
        return f"{self.message.op} {len(self.message.rows)} row(s)"


@dataclass(frozen=True)
class PackResult:
    packed: list[Packed]
    #: Records whose group could not be made into a message (validation failed): they fail.
    unpackable: frozenset[str]


def pack(
    rows: Sequence[tuple[str, AudienceRow]], *, max_bytes: int = MAX_BODY_BYTES, max_rows: int = MAX_ROWS
) -> PackResult:
    """Messages for ``(record id, row)`` pairs; each body at most ``max_bytes`` (UTF-8)."""
    groups: dict[GroupKey, list[tuple[str, AudienceRow]]] = {}
    for item in rows:
        groups.setdefault(item[1].key, []).append(item)
    packed: list[Packed] = []
    unpackable: set[str] = set()
    for key, items in groups.items():
        try:
            packed += _split(key, items, max_bytes, max_rows)
        except ValueError as exc:
            # A pydantic ValidationError's text would quote the cells: log its kind only.
            logger.error(
                "audience rows could not be packed", extra={"audience_id": key.audience_id, "error": type(exc).__name__}
            )
            unpackable |= {source for source, _ in items}
    return PackResult(packed, frozenset(unpackable))


def _split(key: GroupKey, items: list[tuple[str, AudienceRow]], max_bytes: int, max_rows: int) -> list[Packed]:
    if len(items) > max_rows:
        return _halves(key, items, -(-len(items) // max_rows), max_bytes, max_rows)
    message = AudienceRowsMessage(
        audience_id=key.audience_id,
        op=key.op,
        schema_keys=list(key.schema),
        rows=[list(row.cells) for _, row in items],
        account_id=key.account_id,
        page_ids=list(key.page_ids) or None,
        lead_ids=[row.lead_id for _, row in items],
    )
    body = message.body()
    size = len(body.encode())
    if size <= max_bytes or len(items) == 1:
        return [Packed(message, body, frozenset(source for source, _ in items))]
    return _halves(key, items, max(2, -(-size // max_bytes)), max_bytes, max_rows)


def _halves(
    key: GroupKey, items: list[tuple[str, AudienceRow]], parts: int, max_bytes: int, max_rows: int
) -> list[Packed]:
    """Cut into ``parts`` even pieces (the size is close to linear in rows), each checked again."""
    step = -(-len(items) // parts)
    out: list[Packed] = []
    for start in range(0, len(items), step):
        out += _split(key, items[start : start + step], max_bytes, max_rows)
    return out
