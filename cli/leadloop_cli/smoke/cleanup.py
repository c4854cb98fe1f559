"""Undo a test lead everywhere, whatever the smoke found: our store, the form's audiences, Meta.

Order matters. The add must land before the removal is sent (a removal that overtakes the add
would leave the test person in the audience), so the cleanup first waits for the add when the lead
was stored. The lead then becomes a ``FORGOTTEN`` tombstone (answers deleted; a late webhook, retry
or backfill cannot store it again), the removal goes to every audience the form feeds, the removal
is confirmed (or, where members cannot be read, sent again once the queue is quiet), and finally
the test lead is deleted at Meta so the form takes a new one. Each step runs even if one before it
failed; every failure is reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadloop.graph import GraphError
from leadloop.routing import FormRoute
from leadloop_cli.smoke.capture import FETCHED
from leadloop_cli.smoke.deps import SmokeDeps
from leadloop_cli.smoke.person import PersonRow, row_for


@dataclass
class CleanupReport:
    """What could not be undone, one short phrase each (no answers, no tokens)."""

    problems: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return not self.problems


def clean_up(deps: SmokeDeps, route: FormRoute, lead_id: str, answers: Sequence[Mapping[str, Any]]) -> CleanupReport:
    """Remove the test lead from LeadsTable, the form's audiences and Meta; report what failed."""
    report = CleanupReport()
    deadline = deps.clock() + deps.cleanup_seconds
    row = row_for(route, answers)
    audiences = list(route.audience_ids) if row.reaches_audiences else []
    stored = _was_stored(deps, lead_id, report)
    if stored:
        for audience_id in audiences:
            if not deps.probe.wait_added(audience_id, row, deadline):
                report.problems.append(f"audience {audience_id}: the test person's add was not seen landing")
    try:
        deps.store.forget(lead_id, now=int(deps.wall()))
    except Exception as exc:
        report.problems.append(f"LeadsTable: the tombstone was not written ({type(exc).__name__})")
    for audience_id in audiences:
        _remove(deps, audience_id, row, report)
        if stored:
            _confirm(deps, audience_id, row, deadline, report)
    try:
        deps.meta.delete(lead_id)
    except GraphError as exc:
        report.problems.append(f"Meta: the test lead was not deleted (code={exc.code})")
    return report


def _was_stored(deps: SmokeDeps, lead_id: str, report: CleanupReport) -> bool:
    """Whether the lead reached FETCHED (then the hasher sent an add); True when unreadable, to be safe."""
    try:
        item = deps.store.get(lead_id)
    except Exception as exc:
        report.problems.append(f"LeadsTable: the lead could not be read ({type(exc).__name__})")
        return True
    return item is not None and item.get("status") == FETCHED


def _remove(deps: SmokeDeps, audience_id: str, row: PersonRow, report: CleanupReport) -> bool:
    try:
        deps.remover.remove(audience_id, row)
    except GraphError as exc:
        report.problems.append(f"audience {audience_id}: the removal was refused (code={exc.code})")
        return False
    return True


def _confirm(deps: SmokeDeps, audience_id: str, row: PersonRow, deadline: float, report: CleanupReport) -> None:
    verdict = deps.probe.confirm_absent(audience_id, row, deadline)
    if verdict is None:  # members cannot be read: the queue went quiet, so a late add is in; remove again
        _remove(deps, audience_id, row, report)
    elif verdict is False:
        report.problems.append(f"audience {audience_id}: the test person is still a member")
