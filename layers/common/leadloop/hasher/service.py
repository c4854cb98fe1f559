"""LeadsTable stream → hashed rows on AudienceQueue.

Which changes count:
* a lead becoming ``FETCHED`` (INSERT, or MODIFY from another status) → ``add`` rows;
* a ``FETCHED`` lead deleted by a person, or turned into a ``FORGOTTEN`` tombstone by
  ``leadloop forget`` → ``remove`` rows (from the old image, the last one holding the answers);
* a deletion by DynamoDB's TTL (``userIdentity`` type ``Service``, principal
  ``dynamodb.amazonaws.com``) is retention, not a request to forget: no rows.
Everything else (stubs, counters, retries) is skipped; the template's filter drops most of it
before the function runs.

Each change gives one row per audience its form feeds, holding only hashed cells (validated per
lead, so one bad lead fails only its own record). ``send_all`` packs the batch's rows into few
messages (``packing``) and reports the records whose rows did not reach the queue. Stream
redelivery may repeat rows: adding or removing the same hashed row twice leaves a Meta audience
unchanged, and the uploader folds duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from leadloop.hasher.packing import pack
from leadloop.hasher.reporting import RejectedCells
from leadloop.leads.models import LeadStatus
from leadloop.observability import MetricUnit, logger, metrics
from leadloop.queues import OutgoingMessage
from leadloop.routing import FormRoute, Routing
from leadloop.rows.audience_rows import AudienceRow, GroupKey
from leadloop.rows.messages import Op, check_rows
from leadloop.rows.policy import identifies, lead_row, route_schema
from leadloop.state.markers import FailedRecord
from leadloop.validation import is_meta_id

TTL_PRINCIPAL = "dynamodb.amazonaws.com"


@dataclass(frozen=True)
class LeadChange:
    op: Op
    image: Mapping[str, Any]

    @property
    def lead_id(self) -> str:
        return str(self.image.get("leadgen_id", ""))

    @property
    def form_id(self) -> str | None:
        value = self.image.get("form_id")
        return str(value) if value else None


def classify(
    event_name: str,
    new_image: Mapping[str, Any] | None,
    old_image: Mapping[str, Any] | None,
    user_identity: Mapping[str, Any] | None,
) -> LeadChange | None:
    """The audience operation a stream record asks for, or None."""
    new_status = (new_image or {}).get("status")
    old_status = (old_image or {}).get("status")
    fetched = LeadStatus.FETCHED
    if event_name in {"INSERT", "MODIFY"} and new_status == fetched and old_status != fetched:
        return LeadChange("add", new_image or {})
    if event_name == "MODIFY" and old_status == fetched and new_status == LeadStatus.FORGOTTEN:
        return LeadChange("remove", old_image or {})
    if event_name == "REMOVE" and old_status == fetched:
        if is_ttl_delete(user_identity):
            return None
        return LeadChange("remove", old_image or {})
    return None


def is_ttl_delete(identity: Mapping[str, Any] | None) -> bool:
    """A removal by DynamoDB's TTL: ``userIdentity`` type ``Service``, principal ``dynamodb.amazonaws.com``.

    Lambda's records spell the keys ``type``/``principalId``; GetRecords (which the hasher replay
    reads) spells them ``Type``/``PrincipalId``. Both must count, or a replayed expiry would remove
    the person from the audience.
    """
    identity = identity or {}
    kind = identity.get("type", identity.get("Type"))
    principal = identity.get("principalId", identity.get("PrincipalId"))
    return bool(kind == "Service" and principal == TTL_PRINCIPAL)


class Markers(Protocol):
    def record(self, failed: Sequence[FailedRecord], *, now: int | None = None) -> None: ...


class Sender(Protocol):
    def send_each(self, messages: Sequence[OutgoingMessage]) -> list[bool]: ...


@dataclass
class HasherDeps:
    routing: Callable[[], Routing]
    audience_queue: Sender
    #: Where failed records are written before they are reported (StateTable).
    markers: Markers


def rows_for(change: LeadChange, route: FormRoute, rejected: RejectedCells | None = None) -> list[AudienceRow]:
    """The row this change sends to each audience the form feeds (none without identifiers).

    ``rejected`` tallies the cells that could not be normalized, for the batch's metric; callers
    outside the stream consumer (replays, markers) pass none.
    """
    schema = route_schema(route)
    hashed = lead_row(change.image.get("field_data"), route)
    if hashed.rejected:
        metrics.add_metric(name="LeadCellsRejected", unit=MetricUnit.Count, value=len(hashed.rejected))
        if rejected is not None:
            rejected.count(hashed.rejected)
        logger.info(
            "some lead answers could not be normalized",
            extra={"leadgen_id": change.lead_id, "rejected": [f"{key}:{reason}" for key, reason in hashed.rejected]},
        )
    if not identifies(schema, hashed.cells):
        metrics.add_metric(name="LeadWithoutIdentifiers", unit=MetricUnit.Count, value=1)
        return []
    page_ids = (route.page_id,) if "PAGEUID" in schema else ()
    check_rows(schema, [hashed.cells], page_ids)
    if not is_meta_id(change.lead_id):
        raise ValueError("the lead has no leadgen_id")
    return [
        AudienceRow(
            GroupKey(audience_id, change.op, tuple(schema), page_ids, route.account_id),
            change.lead_id,
            tuple(hashed.cells),
        )
        for audience_id in route.audience_ids
    ]


def rows_for_change(change: LeadChange, routing: Routing, rejected: RejectedCells | None = None) -> list[AudienceRow]:
    """The rows one change produces (none when its form feeds no audience)."""
    route = routing.form(change.form_id or "")
    if route is None or not route.audience_ids:
        metrics.add_metric(name="LeadNotRouted", unit=MetricUnit.Count, value=1)
        return []
    return rows_for(change, route, rejected)


def send_all(rows: Sequence[tuple[str, AudienceRow]], deps: HasherDeps) -> set[str]:
    """Pack and queue every (record id, row) pair; returns the record ids with a row left unsent."""
    result = pack(rows)
    accepted = deps.audience_queue.send_each([OutgoingMessage(body=p.body, reason=p.reason) for p in result.packed])
    for op in ("add", "remove"):
        sent = sum(
            len(p.message.rows) for ok, p in zip(accepted, result.packed, strict=True) if ok and p.message.op == op
        )
        if sent:
            name = "AudienceRowsQueuedAdd" if op == "add" else "AudienceRowsQueuedRemove"
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=sent)
    refused = [p for ok, p in zip(accepted, result.packed, strict=True) if not ok]
    if refused:
        logger.warning("audience messages refused by SQS", extra={"messages": len(refused)})
    return set(result.unpackable).union(*(p.sources for p in refused))
