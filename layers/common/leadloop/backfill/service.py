"""Backfill: bulk-read each routed form's leads so a missed webhook never means a lost lead.

For each form the window runs from its watermark (minus an overlap, since Meta may surface a lead
a little after its ``created_time``) to now, read in ascending time slices with ``filtering`` on
``time_created``. Each slice is read page by page following ``paging.next`` only; every lead not
yet stored is written; the watermark moves to the slice's end only once the whole slice is stored,
so an interrupted run resumes where it stopped and never skips a lead.

Meta's lead-read budget per Page is 4800 × (leads created on the Page in the last 90 days) calls
per 24 h (meta-api.md §1.6); webhook fetches spend from the same budget, so backfill keeps to a
fraction of it, stops early when the ``leadgen`` usage header nears the ceiling, and on a throttle
records a per-Page backoff for as long as Meta says.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from pydantic import ValidationError

from leadloop.graph import GraphAuthError, GraphClient, GraphError, GraphPage, GraphThrottledError
from leadloop.leads.models import LEAD_FIELDS_PARAM, GraphLead
from leadloop.leads.store import LeadOrigin, LeadStore
from leadloop.observability import MetricUnit, logger, metrics
from leadloop.routing import FormRoute
from leadloop.state.store import StateStore

LEADGEN_CALLS_PER_LEAD = 4800
NINETY_DAYS = 90 * 86400
USAGE_BACKOFF_SECONDS = 600
TRANSIENT_RETRIES = 2


@dataclass
class BackfillDeps:
    store: LeadStore
    state: StateStore
    graph_for_page: Callable[[str | None], GraphClient]
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    overlap_seconds: int = 900
    initial_lookback_seconds: int = NINETY_DAYS
    slice_seconds: int = 86400
    page_size: int = 100
    budget_fraction: float = 0.5
    usage_ceiling_pct: float = 75.0


@dataclass
class FormReport:
    form_id: str
    page_id: str
    status: str = "ok"
    since: int | None = None
    until: int | None = None
    pages_read: int = 0
    leads_seen: int = 0
    leads_inserted: int = 0
    invalid_leads: int = 0
    watermark: int | None = None
    detail: str = ""


@dataclass
class BackfillReport:
    forms: list[FormReport] = field(default_factory=list)

    @property
    def inserted(self) -> int:
        return sum(f.leads_inserted for f in self.forms)

    @property
    def ok(self) -> bool:
        return all(f.status == "ok" for f in self.forms)

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "inserted": self.inserted, "forms": [asdict(f) for f in self.forms]}


class _StopForm(Exception):
    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class _PageBudget:
    """Lead reads this run may still spend on one Page."""

    def __init__(self, page_id: str, routes: Sequence[FormRoute], deps: BackfillDeps, now: int) -> None:
        recent = sum(deps.store.count_created_since(r.form_id, now - NINETY_DAYS) for r in routes)
        daily = LEADGEN_CALLS_PER_LEAD * max(1, recent)
        self.allowed = int(daily * deps.budget_fraction) - deps.state.leadgen_calls(page_id, now)
        self.page_id = page_id

    def spend(self) -> None:
        if self.allowed <= 0:
            raise _StopForm("budget", f"daily lead-read budget for page {self.page_id} is spent")
        self.allowed -= 1


def backfill(
    routes: Sequence[FormRoute],
    deps: BackfillDeps,
    *,
    since: int | None = None,
    time_left: Callable[[], float] = lambda: float("inf"),
) -> BackfillReport:
    """Backfill every given form; ``since`` overrides the watermark for an on-demand run."""
    report = BackfillReport()
    now = int(deps.clock())
    budgets: dict[str, _PageBudget] = {}
    for route in routes:
        form = FormReport(form_id=route.form_id, page_id=route.page_id)
        report.forms.append(form)
        backoff = deps.state.backoff_until(route.page_id)
        if backoff > now:
            form.status, form.detail = "throttled", f"page backs off until {backoff}"
            continue
        if route.page_id not in budgets:
            budgets[route.page_id] = _PageBudget(
                route.page_id, [r for r in routes if r.page_id == route.page_id], deps, now
            )
        try:
            _backfill_form(route, form, deps, budgets[route.page_id], since=since, now=now, time_left=time_left)
        except _StopForm as stop:
            form.status, form.detail = stop.status, stop.detail
        metrics.add_metric(name="BackfillLeadsInserted", unit=MetricUnit.Count, value=form.leads_inserted)
        logger.info(
            "backfill form done",
            extra={k: v for k, v in asdict(form).items() if k != "detail"} | {"detail": form.detail},
        )
    return report


def _backfill_form(
    route: FormRoute,
    form: FormReport,
    deps: BackfillDeps,
    budget: _PageBudget,
    *,
    since: int | None,
    now: int,
    time_left: Callable[[], float],
) -> None:
    watermark = deps.state.watermark(route.form_id)
    if since is None:
        since = watermark - deps.overlap_seconds if watermark is not None else now - deps.initial_lookback_seconds
    until = now + 1  # LESS_THAN is exclusive: include leads created in the current second
    form.since, form.until, form.watermark = since, until, watermark
    client = deps.graph_for_page(route.page_id)
    start = since
    while start < until:
        if time_left() < 30:
            raise _StopForm("partial", "stopped before the function timeout; the next run resumes here")
        end = min(start + deps.slice_seconds, until)
        _read_slice(client, route=route, form=form, deps=deps, budget=budget, start=start, end=end)
        deps.state.advance_watermark(route.form_id, end)
        form.watermark = max(form.watermark or 0, end)
        start = end


def _read_slice(
    client: GraphClient,
    *,
    route: FormRoute,
    form: FormReport,
    deps: BackfillDeps,
    budget: _PageBudget,
    start: int,
    end: int,
) -> None:
    filtering = [
        {"field": "time_created", "operator": "GREATER_THAN_OR_EQUAL", "value": start},
        {"field": "time_created", "operator": "LESS_THAN", "value": end},
    ]
    params = {"fields": LEAD_FIELDS_PARAM, "limit": str(deps.page_size), "filtering": json.dumps(filtering)}
    page: GraphPage | None = _call(lambda: client.get_page(f"{route.form_id}/leads", params), route, deps, budget)
    while page is not None:
        form.pages_read += 1
        _store_page(page, route, form, deps)
        if page.usage.max_pct("leadgen") >= deps.usage_ceiling_pct:
            until = int(deps.clock()) + max(USAGE_BACKOFF_SECONDS, int(page.usage.regain_seconds(route.page_id)))
            deps.state.set_backoff(route.page_id, until, "leadgen usage near Meta's limit")
            if page.next_url:
                raise _StopForm("partial", "stopped: Meta's leadgen usage is near its limit")
        page = _next(client, page, route, deps, budget)


def _next(
    client: GraphClient, page: GraphPage, route: FormRoute, deps: BackfillDeps, budget: _PageBudget
) -> GraphPage | None:
    if not page.next_url:
        return None
    return _call(lambda: client.next_page(page), route, deps, budget)


def _store_page(page: GraphPage, route: FormRoute, form: FormReport, deps: BackfillDeps) -> None:
    for raw in page.data:
        form.leads_seen += 1
        try:
            lead = GraphLead.model_validate(raw)
        except ValidationError as exc:
            form.invalid_leads += 1
            metrics.add_metric(name="BackfillLeadInvalid", unit=MetricUnit.Count, value=1)
            logger.error(
                "backfill skipped a lead Meta returned in an unexpected shape",
                extra={
                    "form_id": route.form_id,
                    "leadgen_id": str(raw.get("id", "?")),
                    "errors": exc.error_count(),
                },
            )
            continue
        if lead.form_id is None:
            lead = lead.model_copy(update={"form_id": route.form_id})
        if deps.store.save_fetched(lead, source=LeadOrigin.BACKFILL, now=int(deps.clock()), page_id=route.page_id):
            form.leads_inserted += 1
            logger.info(
                "backfill stored a lead the webhook had not",
                extra={"leadgen_id": lead.id, "form_id": route.form_id},
            )


def _call[T](fn: Callable[[], T], route: FormRoute, deps: BackfillDeps, budget: _PageBudget) -> T:
    """One Graph read with the budget charged, short retries for transient errors, and backoffs."""
    for attempt in range(TRANSIENT_RETRIES + 1):
        budget.spend()
        deps.state.add_leadgen_calls(route.page_id, int(deps.clock()), 1)
        try:
            return fn()
        except GraphThrottledError as exc:
            until = int(deps.clock() + max(exc.retry_after, USAGE_BACKOFF_SECONDS))
            deps.state.set_backoff(route.page_id, until, exc.describe())
            metrics.add_metric(name="BackfillThrottled", unit=MetricUnit.Count, value=1)
            raise _StopForm("throttled", exc.describe()) from None
        except GraphAuthError as exc:
            metrics.add_metric(name="GraphAuthFailure", unit=MetricUnit.Count, value=1)
            logger.error(
                "backfill cannot read leads: token or permission failure",
                extra=exc.log_fields() | {"form_id": route.form_id},
            )
            raise _StopForm("auth", exc.describe()) from None
        except GraphError as exc:
            if not exc.retryable or attempt == TRANSIENT_RETRIES:
                metrics.add_metric(name="BackfillFailed", unit=MetricUnit.Count, value=1)
                logger.error("backfill read failed", extra=exc.log_fields() | {"form_id": route.form_id})
                raise _StopForm("failed", exc.describe()) from None
            deps.sleep(2.0 * (attempt + 1))
    raise AssertionError("unreachable")
