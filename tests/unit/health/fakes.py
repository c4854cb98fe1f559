"""Fakes for the health checks: Graph answers per Page, lead counts, a report store and an alerts sink.

Tokens are distinctive strings so a test can scan every finding for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadloop.health.checks import Context
from leadloop.health.service import HealthDeps
from leadloop.routing import FormRoute
from leadloop.state.health_records import HealthRecord
from tests.support.graph import Answer, FakeGraph, GraphCall

NOW = 1_750_000_000
DAY = 86400
APP_ID = "4242"
APP_TOKEN = "4242|APPSECRET-zq81-DO-NOT-LEAK"
SHARED_TOKEN = "EAAshared-kx77-DO-NOT-LEAK"
PAGE_TOKENS = {"111": "EAApage111-vv31-DO-NOT-LEAK", "222": "EAApage222-mm52-DO-NOT-LEAK"}
ALL_TOKENS = (APP_TOKEN, "APPSECRET-zq81", SHARED_TOKEN, *PAGE_TOKENS.values())
CAPTURE = ["leads_retrieval", "pages_manage_metadata", "pages_show_list", "pages_read_engagement"]
FULL = [*CAPTURE, "ads_management"]


class FakeLeads:
    def __init__(self, counts: dict[str, dict[str, int]] | None = None) -> None:
        self.counts = counts or {}
        self.calls: list[tuple[str, int]] = []
        self.latest: dict[str, str] = {}

    def latest_lead_id(self, form_id: str) -> str | None:
        return self.latest.get(form_id)

    def sources_since(self, form_id: str, since: int) -> dict[str, int]:
        self.calls.append((form_id, since))
        return dict(self.counts.get(form_id, {}))


class FakeStore:
    """Keeps what HealthRecords keeps, in the shape its ``latest`` returns."""

    def __init__(self) -> None:
        self.item: dict[str, Any] | None = None
        self.saved: list[tuple[HealthRecord, int | None]] = []

    def latest(self) -> dict[str, Any] | None:
        return self.item

    def save(self, record: HealthRecord, *, alerted_at: int | None) -> None:
        self.saved.append((record, alerted_at))
        self.item = {"report": record.report_json, "alerted_at": alerted_at, "problem_keys": list(record.problem_keys)}


class FakeAlerts:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def publish(self, subject: str, message: str) -> None:
        self.sent.append((subject, message))


def route(form_id: str, page_id: str, *audience_ids: str) -> FormRoute:
    return FormRoute(form_id=form_id, page_id=page_id, audience_ids=list(audience_ids))


def debug(
    *, valid: bool = True, scopes: list[str] | None = None, expires_at: int = 0, code: int | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {"app_id": APP_ID, "is_valid": valid, "scopes": FULL if scopes is None else scopes}
    data["expires_at"] = expires_at
    if code is not None:
        data["error"] = {"code": code, "message": "Error validating access token", "subcode": 463}
    return {"data": data}


def subscribed(*apps: tuple[str, list[str]]) -> dict[str, Any]:
    return {"data": [{"id": app_id, "name": "an app", "subscribed_fields": fields} for app_id, fields in apps]}


@dataclass
class Rig:
    """A healthy two-Page setup; tests break one piece at a time."""

    routes: list[FormRoute] = field(
        default_factory=lambda: [route("1001", "111", "238001"), route("1002", "111"), route("2001", "222", "238002")]
    )
    app_id: str | None = APP_ID
    with_app_graph: bool = True
    clock: float = NOW

    def __post_init__(self) -> None:
        tokens = {token: debug() for token in [*PAGE_TOKENS.values(), SHARED_TOKEN]}
        self.debug_answers: dict[str, Answer] = dict(tokens)
        self.app = FakeGraph(answers={"debug_token": self._debug_token})
        self.pages: dict[str | None, FakeGraph] = {}
        for page_id in (*PAGE_TOKENS, None):
            answers: dict[str, Answer] = {}
            if page_id is not None:
                answers[f"{page_id}/subscribed_apps"] = subscribed((APP_ID, ["leadgen", "feed"]))
            self.pages[page_id] = FakeGraph(answers=answers)
        for r in self.routes:
            self.pages[r.page_id].answers[f"{r.form_id}/leads"] = {"data": [{"id": "9"}]}
        for audience_id in ("238001", "238002"):
            self.pages[None].answers[audience_id] = {
                "id": audience_id,
                "subtype": "CUSTOM",
                "operation_status": {"code": 200, "description": "Normal"},
            }
        self.leads = FakeLeads({"1001": {"webhook": 5}, "1002": {"webhook": 1}, "2001": {}})
        self.store = FakeStore()
        self.alerts = FakeAlerts()
        self.asked_for: list[str | None] = []
        self.contexts = 0

    def _debug_token(self, call: GraphCall) -> Any:
        return self.debug_answers[call.params["input_token"]]

    def graph_for_page(self, page_id: str | None) -> FakeGraph:
        self.asked_for.append(page_id)
        return self.pages[page_id]

    def context(self) -> Context:
        self.contexts += 1
        return Context(
            routes=list(self.routes),
            graph_for_page=self.graph_for_page,
            app_graph=self.app if self.with_app_graph else None,
            app_id=self.app_id,
            page_tokens=dict(PAGE_TOKENS),
            leads=self.leads,
            now=NOW,
            audience_token=SHARED_TOKEN,
        )

    def deps(self, *, store: bool = True, alerts: bool = True) -> HealthDeps:
        return HealthDeps(
            context=self.context,
            store=self.store if store else None,
            alerts=self.alerts if alerts else None,
            clock=lambda: self.clock,
        )
