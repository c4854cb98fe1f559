"""What a smoke run talks to, as protocols, so the run can be tested with fakes."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from leadloop.routing import Routing
from leadloop_cli.smoke.person import PersonRow


class Store(Protocol):
    def get(self, leadgen_id: str) -> dict[str, Any] | None: ...

    def forget(self, leadgen_id: str, *, now: int) -> None: ...


class Meta(Protocol):
    def create(self, form_id: str, answers: Sequence[Mapping[str, Any]]) -> str: ...

    def delete(self, lead_id: str) -> None: ...

    def page_installed(self, page_id: str) -> bool | None: ...


class Remover(Protocol):
    def remove(self, audience_id: str, row: PersonRow) -> None: ...


class Probe(Protocol):
    def wait_added(self, audience_id: str, row: PersonRow, deadline: float) -> bool: ...

    def confirm_absent(self, audience_id: str, row: PersonRow, deadline: float) -> bool | None: ...


def _quiet(_: str) -> None:
    return None


@dataclass
class SmokeDeps:
    """The stack's routing and lead store, Meta, the audience side, FetchRetryDLQ's depth, and time."""

    routing: Callable[[], Routing]
    meta: Meta
    store: Store
    remover: Remover
    probe: Probe
    parked: Callable[[], int | None]
    say: Callable[[str], None] = _quiet
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    poll_seconds: float = 0.25
    #: How long the cleanup may wait for the add to land and the removal to be confirmed.
    cleanup_seconds: float = 120.0
