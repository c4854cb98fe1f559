"""One lead's hashed row for one audience, and what the rows of one ``/users`` call share.

The hasher packs these into AudienceQueue messages; StateTable's failure markers keep a removal's
rows in the same shape, so a replay can send them after the lead's answers are gone.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadloop.rows.messages import Op


@dataclass(frozen=True)
class GroupKey:
    """What the rows of one ``/users`` call share: the hasher packs by it, the uploader groups by it."""

    audience_id: str
    op: Op
    schema: tuple[str, ...]
    page_ids: tuple[str, ...] = ()
    #: Not sent; decides which calls a per-account throttle pauses (None when routing does not say).
    account_id: str | None = None


@dataclass(frozen=True)
class AudienceRow:
    """One lead's hashed row for one audience (cells validated when it was made)."""

    key: GroupKey
    lead_id: str
    cells: tuple[str, ...]
