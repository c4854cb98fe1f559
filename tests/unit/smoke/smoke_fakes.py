"""Fakes for a smoke run: a clock moved by sleeps, a lead store with a script, Meta, one audience."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadloop.graph import GraphError
from leadloop.routing import Routing
from leadloop_cli.smoke.deps import SmokeDeps
from leadloop_cli.smoke.meta import ExistingTestLead
from leadloop_cli.smoke.person import PersonRow

FORM, PAGE, AUDIENCE = "205", "104", "238"
NEW_LEAD, OLD_LEAD = "1001", "999"


@dataclass
class Clock:
    now: float = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.01)


@dataclass
class Store:
    """``script(t)`` gives the item the smoke would read at fake time ``t`` (until it is forgotten)."""

    clock: Clock
    script: Callable[[float], dict[str, Any] | None] = lambda _t: None
    forgotten: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    fail_reads_after: float | None = None

    def get(self, leadgen_id: str) -> dict[str, Any] | None:
        if self.fail_reads_after is not None and self.clock() >= self.fail_reads_after:
            raise RuntimeError("the table went away")
        if leadgen_id in self.forgotten:
            return {"leadgen_id": leadgen_id, "status": "FORGOTTEN"}
        item = self.script(self.clock())
        return None if item is None else {"leadgen_id": leadgen_id, **item}

    def forget(self, leadgen_id: str, *, now: int) -> None:
        self.forgotten.append(leadgen_id)
        self.events.append(f"forget {leadgen_id}")


@dataclass
class Meta:
    events: list[str]
    created: list[Sequence[Mapping[str, Any]]] = field(default_factory=list)
    refusal: GraphError | None = None
    existing: list[str] = field(default_factory=list)
    installed: bool | None = True
    deleted: list[str] = field(default_factory=list)

    def create(self, form_id: str, answers: Sequence[Mapping[str, Any]]) -> str:
        if self.refusal is not None:
            raise self.refusal
        if self.existing:
            raise ExistingTestLead(self.existing)
        self.created.append(answers)
        self.events.append(f"create {form_id}")
        return NEW_LEAD

    def delete(self, lead_id: str) -> None:
        self.deleted.append(lead_id)
        self.existing = [i for i in self.existing if i != lead_id]
        self.events.append(f"meta delete {lead_id}")

    def page_installed(self, page_id: str) -> bool | None:
        return self.installed


@dataclass
class Audience:
    """One audience whose add lands at ``add_lands_at`` (None: never); members by EMAIL hash."""

    clock: Clock
    events: list[str]
    add_lands_at: float | None = None
    members: set[str] = field(default_factory=set)
    readable: bool = True
    removals: int = 0
    added: bool = False

    def _settle(self, row: PersonRow) -> None:
        if not self.added and self.add_lands_at is not None and self.clock() >= self.add_lands_at:
            self.added = True
            self.members.add(row.identifiers()["EMAIL"])
            self.events.append("add landed")

    def remove(self, audience_id: str, row: PersonRow) -> None:
        self._settle(row)
        self.removals += 1
        self.members.discard(row.identifiers().get("EMAIL", ""))
        self.events.append(f"remove {audience_id}")

    def wait_added(self, audience_id: str, row: PersonRow, deadline: float) -> bool:
        while True:
            self._settle(row)
            if self.added:
                return True
            if self.clock() >= deadline:
                return False
            self.clock.sleep(1.0)

    def confirm_absent(self, audience_id: str, row: PersonRow, deadline: float) -> bool | None:
        self._settle(row)
        if not self.readable:
            return None
        return row.identifiers()["EMAIL"] not in self.members


def routing(**route: Any) -> Routing:
    form = {"form_id": FORM, "page_id": PAGE, "audience_ids": [AUDIENCE], **route}
    return Routing.model_validate({"version": 1, "forms": [form]})


@dataclass
class World:
    clock: Clock
    events: list[str]
    store: Store
    meta: Meta
    audience: Audience
    deps: SmokeDeps
    said: list[str]


def world(
    script: Callable[[float], dict[str, Any] | None] = lambda _t: None,
    *,
    add_lands_at: float | None = None,
    parked: int | None = 0,
    route: Routing | None = None,
) -> World:
    clock = Clock()
    events: list[str] = []
    store = Store(clock, script, events=events)
    meta = Meta(events)
    audience = Audience(clock, events, add_lands_at=add_lands_at)
    said: list[str] = []
    deps = SmokeDeps(
        routing=lambda: route or routing(),
        meta=meta,
        store=store,
        remover=audience,
        probe=audience,
        parked=lambda: parked,
        say=said.append,
        clock=clock,
        wall=lambda: 1_800_000_000.0,
        sleep=clock.sleep,
        poll_seconds=0.25,
        cleanup_seconds=60.0,
    )
    return World(clock, events, store, meta, audience, deps, said)


def stored_at(t: float, **item: Any) -> Callable[[float], dict[str, Any] | None]:
    """A script: nothing before fake time ``t``, then ``item`` (FETCHED by webhook unless told)."""
    full = {"status": "FETCHED", "source": "webhook", "notifications": 1, **item}
    return lambda now: full if now >= t else None
