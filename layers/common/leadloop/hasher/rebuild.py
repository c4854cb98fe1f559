"""Failed stream records → the audience rows to send now, from each lead's current state in LeadsTable.

The replay of LeadHasherFailureDLQ runs hours or days after the failure, so it does not resend
what the record said then: it sends what the lead's current state asks for, per lead.

* stored (``FETCHED``): its add rows, made exactly as the hasher makes them (``rows_for_change``);
* forgotten or deleted: the removal rows recorded when the removal failed (the answers are gone,
  so the hashes kept then are all there is); nothing when the failure was an add, because a lead
  we no longer hold is never added back;
* not fetched yet (``PENDING``, ``FAILED``): nothing; its rows follow when it is stored.

A lead that is gone and whose failed record left no hashes (it could not be read or hashed)
cannot be rebuilt: it is returned in ``unrebuildable`` so the operator can rebuild the audience
with a replace from LeadsTable instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from leadloop.hasher.service import LeadChange, rows_for_change
from leadloop.leads.models import LeadStatus
from leadloop.routing import Routing
from leadloop.rows.audience_rows import AudienceRow
from leadloop.state.markers import FailedRecord


class LeadReader(Protocol):
    def get(self, leadgen_id: str) -> dict[str, Any] | None: ...


@dataclass
class Rebuilt:
    #: (sequence number of the lead's latest failed record, row), ready for ``packing.pack``.
    rows: list[tuple[str, AudienceRow]] = field(default_factory=list)
    #: Sequence numbers of failed records nothing can be rebuilt from.
    unrebuildable: list[str] = field(default_factory=list)
    added: int = 0
    removed: int = 0


def rebuild(failed: Sequence[FailedRecord], leads: LeadReader, routing: Routing) -> Rebuilt:
    by_lead: dict[str, list[FailedRecord]] = {}
    out = Rebuilt()
    for record in failed:
        if record.leadgen_id:
            by_lead.setdefault(record.leadgen_id, []).append(record)
        else:
            out.unrebuildable.append(record.sequence)
    for lead_id, records in by_lead.items():
        latest = max(records, key=lambda r: int(r.sequence) if r.sequence.isdigit() else 0).sequence
        item = leads.get(lead_id)
        status = (item or {}).get("status")
        if item is not None and status == LeadStatus.FETCHED:
            rows = rows_for_change(LeadChange("add", item), routing)
            out.rows += [(latest, row) for row in rows]
            out.added += len(rows)
        elif item is None or status == LeadStatus.FORGOTTEN:
            removals = list(dict.fromkeys(row for r in records for row in r.removals))
            out.rows += [(latest, row) for row in removals]
            out.removed += len(removals)
            if not removals and any(r.change == "unknown" for r in records):
                out.unrebuildable += [r.sequence for r in records if r.change == "unknown"]
    return out
