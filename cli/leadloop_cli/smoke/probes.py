"""Whether the test person's add has landed in an audience, and whether its removal has.

The removal must never be overtaken by the add (the uploader may still hold the add when the
smoke ends), or the audience would keep the test person. Two ways to know:

* ``SimulatorMembers`` (the local stack): the Graph simulator shows an audience's exact members,
  so the smoke waits until the person is in, removes them, and waits until they are out.
* ``QueueQuiet`` (a deployed stack): Meta cannot list an audience's members, so the smoke waits
  until AudienceQueue (visible, in flight and delayed) has been empty for ``settle_seconds``
  (longer than the LeadHasher's batching window plus the stream's delay): the add has then been
  sent, or parked in AudienceDLQ. After the removal it waits for quiet again and the runner sends
  the removal once more, so an add that was still on its way is removed too.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from leadloop_cli.smoke.person import PersonRow

QUEUE_DEPTH_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


@dataclass
class SimulatorMembers:
    """Reads ``GET /_sim/audiences/{id}`` of the local Graph simulator."""

    sim_url: str
    poll_seconds: float = 0.25
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)

    def wait_added(self, audience_id: str, row: PersonRow, deadline: float) -> bool:
        """True once the person is a member; False at ``deadline``."""
        return self._wait(lambda: self._present(audience_id, row) is True, deadline)

    def confirm_absent(self, audience_id: str, row: PersonRow, deadline: float) -> bool | None:
        """True once the person is not a member; False when still there at ``deadline``."""
        return self._wait(lambda: self._present(audience_id, row) is False, deadline)

    def _wait(self, condition: Callable[[], bool], deadline: float) -> bool:
        while True:
            if condition():
                return True
            if self.clock() >= deadline:
                return False
            self.sleep(self.poll_seconds)

    def _present(self, audience_id: str, row: PersonRow) -> bool | None:
        answer = self.session.get(f"{self.sim_url.rstrip('/')}/_sim/audiences/{audience_id}", timeout=10)
        if answer.status_code != 200:
            return None
        view = answer.json()
        return is_member(list(view.get("schema") or []), view.get("members") or [], row)


def is_member(schema: list[str], members: list[list[Any]], row: PersonRow) -> bool:
    """Whether a member is this person: one shared identifying cell, as Meta matches people.

    A row without identifying cells (only names, say) is found by all of its cells instead, the
    way the simulator applies a removal of such a row.
    """
    identifiers = row.identifiers()
    if identifiers:
        wanted = [(schema.index(key), cell) for key, cell in identifiers.items() if key in schema]
        return any(member[i] == cell for member in members for i, cell in wanted)
    cells = list(row.matchable().items())
    if not cells or any(key not in schema for key, _ in cells):
        return False
    return any(all(member[schema.index(key)] == cell for key, cell in cells) for member in members)


@dataclass
class QueueQuiet:
    """AudienceQueue empty for ``settle_seconds`` in a row stands for "every queued add was sent"."""

    sqs: Any
    queue_url: str
    settle_seconds: float = 15.0
    poll_seconds: float = 1.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def wait_added(self, audience_id: str, row: PersonRow, deadline: float) -> bool:
        """True once the queue has been quiet long enough; False at ``deadline``."""
        return self._quiet(deadline)

    def confirm_absent(self, audience_id: str, row: PersonRow, deadline: float) -> bool | None:
        """Meta cannot show members: wait for quiet (None = unknown, resend), False when it never came."""
        return None if self._quiet(deadline) else False

    def _quiet(self, deadline: float) -> bool:
        quiet_since: float | None = None
        while True:
            now = self.clock()
            if self._depth() == 0:
                quiet_since = now if quiet_since is None else quiet_since
                if now - quiet_since >= self.settle_seconds:
                    return True
            else:
                quiet_since = None
            if now >= deadline:
                return False
            self.sleep(self.poll_seconds)

    def _depth(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=list(QUEUE_DEPTH_ATTRIBUTES)
        )["Attributes"]
        return sum(int(attributes.get(name, 0)) for name in QUEUE_DEPTH_ATTRIBUTES)
