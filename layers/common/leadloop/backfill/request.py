"""What starts a backfill: the schedule's fixed input, or an operator's on-demand request."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from leadloop.routing import FormRoute, Routing
from leadloop.validation import MetaId


class BackfillRequest(BaseModel):
    """``{"trigger": "schedule"}`` or ``{"form_ids": [...], "since": "2026-11-01T00:00:00Z"}``."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    trigger: str | None = None
    form_ids: list[MetaId] | None = Field(default=None, min_length=1)
    since: datetime | None = None

    def since_epoch(self) -> int | None:
        return int(self.since.timestamp()) if self.since is not None else None

    def select(self, routing: Routing) -> tuple[list[FormRoute], list[str]]:
        """The routed forms to read, and the requested ids that are not routed."""
        if self.form_ids is None:
            return list(routing.forms), []
        routes = [r for r in (routing.form(f) for f in self.form_ids) if r is not None]
        return routes, [f for f in self.form_ids if routing.form(f) is None]
