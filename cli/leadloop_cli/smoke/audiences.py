"""Removing the test person from an audience: the same hash-only removal ``leadloop forget`` sends."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from leadloop.audience import payload_cell
from leadloop.graph import GraphClient
from leadloop_cli.smoke.person import PersonRow


def removal_form(row: PersonRow) -> dict[str, str]:
    """The ``/users`` removal fields for one row (hashed cells only, nothing readable)."""
    payload: dict[str, object] = {
        "schema": list(row.schema),
        "data": [[payload_cell(k, c) for k, c in zip(row.schema, row.cells, strict=True)]],
        "is_raw": True,
    }
    if row.page_ids:
        payload["page_ids"] = list(row.page_ids)
    return {"payload": json.dumps(payload, separators=(",", ":"))}


@dataclass
class GraphRemover:
    """``DELETE /{audience_id}/users`` with the audience token (the stack's shared token)."""

    graph: Callable[[], GraphClient]

    def remove(self, audience_id: str, row: PersonRow) -> None:
        """Send the removal; raises ``GraphError`` when Meta refuses it."""
        self.graph().delete(f"{audience_id}/users", removal_form(row))
