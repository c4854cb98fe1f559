"""The checks, one function each: ``(context) -> list[Finding]``.

They read Meta through the Graph client (the Page's own token where routing gives one, the app
token for ``debug_token``) and our LeadsTable; none of them writes anything.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from leadloop.graph import GraphAuthError, GraphError, GraphResponse
from leadloop.health.findings import Finding, Status
from leadloop.routing import FormRoute

DAY = 86400
#: A token expiring sooner than this is a warning: renew it before leads stop.
EXPIRY_WARNING_DAYS = 14
#: What capture needs of a Page token (meta-api.md §1.1), and what audiences need besides.
CAPTURE_SCOPES = ("leads_retrieval", "pages_manage_metadata", "pages_show_list", "pages_read_engagement")
AUDIENCE_SCOPES = ("ads_management",)
EXPIRING_STATUS = 100
FLAGGED_STATUS = 471
LEADS_ACCESS_ACTION = (
    "grant Leads Access to the app in Business Settings → Integrations → Leads Access (or let every Page admin "
    "read leads); if the app is in Development mode, switch it to Live in the App Dashboard"
)


class Graph(Protocol):
    def get(
        self, path: str, params: Mapping[str, str] | None = None, *, timeout: float | None = None
    ) -> GraphResponse: ...


class LeadCounts(Protocol):
    def sources_since(self, form_id: str, since: int) -> dict[str, int]: ...

    def latest_lead_id(self, form_id: str) -> str | None: ...


@dataclass
class Context:
    """What every check may use."""

    routes: Sequence[FormRoute]
    graph_for_page: Callable[[str | None], Graph]
    app_graph: Graph | None  # None when the secret lacks app_id: debug_token needs the app token
    app_id: str | None
    page_tokens: Mapping[str, str]  # page id → the token the Page's reads use (never logged)
    leads: LeadCounts
    now: int
    drift_days: int = 7
    audience_token: str | None = None  # the shared token audience uploads use (never logged)

    @property
    def page_ids(self) -> list[str]:
        return sorted({r.page_id for r in self.routes})


def token(ctx: Context) -> list[Finding]:
    """Each Page's token (capture scopes) and the audience token (``ads_management``): valid, not expiring."""
    if ctx.app_graph is None:
        return [
            Finding(
                "token",
                Status.WARN,
                "secret",
                "app_id is missing from MetaSecret: token validity and expiry cannot be checked",
                'add "app_id" (your Meta app\'s id) to the secret',
            )
        ]
    subjects: list[tuple[str, str, Sequence[str]]] = [
        (f"page {page_id}", ctx.page_tokens[page_id], CAPTURE_SCOPES) for page_id in ctx.page_ids
    ]
    if ctx.audience_token and any(r.audience_ids for r in ctx.routes):
        # Uploads and replaces use the shared (system-user) token, whatever the Pages use.
        subjects.append(("audience token", ctx.audience_token, AUDIENCE_SCOPES))
    findings: list[Finding] = []
    for subject, value, required in subjects:
        try:
            data = ctx.app_graph.get("debug_token", {"input_token": value}).data.get("data") or {}
        except GraphError as exc:
            findings.append(Finding("token", Status.FAIL, subject, f"debug_token failed: {exc.describe()}", _fix(exc)))
            continue
        findings.append(_judge_token(subject, data, ctx.now, required))
    return findings


def _judge_token(subject: str, data: Mapping[str, Any], now: int, required: Sequence[str]) -> Finding:
    renew = "issue a new long-lived Page or system-user token and store it in MetaSecret"
    if not data.get("is_valid"):
        code = (data.get("error") or {}).get("code")
        return Finding("token", Status.FAIL, subject, f"the token is not valid (code {code})", renew)
    scopes = set(data.get("scopes") or [])
    missing = [s for s in required if s not in scopes]
    if missing:
        return Finding(
            "token",
            Status.FAIL,
            subject,
            f"the token lacks {', '.join(missing)}",
            "re-authorize the app with those permissions, then store the new token in MetaSecret",
        )
    for field, what in (("expires_at", "the token"), ("data_access_expires_at", "the token's data access")):
        ends = int(data.get(field) or 0)
        if ends and ends <= now:
            return Finding("token", Status.FAIL, subject, f"{what} has expired", renew)
        if ends and ends - now < EXPIRY_WARNING_DAYS * DAY:
            return Finding("token", Status.WARN, subject, f"{what} expires in {(ends - now) // DAY} day(s)", renew)
    expires = int(data.get("expires_at") or 0)
    lasting = "never expires" if not expires else f"valid for {(expires - now) // DAY} more days"
    return Finding("token", Status.OK, subject, f"valid, {lasting}, scopes complete")


def subscription(ctx: Context) -> list[Finding]:
    """Each Page still has our app installed with ``leadgen`` (else webhooks silently stop)."""
    findings: list[Finding] = []
    action = "install the app on the Page again: POST /{page-id}/subscribed_apps?subscribed_fields=leadgen"
    for page_id in ctx.page_ids:
        subject = f"page {page_id}"
        try:
            apps = ctx.graph_for_page(page_id).get(f"{page_id}/subscribed_apps").data.get("data") or []
        except GraphError as exc:
            findings.append(Finding("subscription", Status.FAIL, subject, exc.describe(), _fix(exc)))
            continue
        ours = [a for a in apps if ctx.app_id is None or str(a.get("id")) == str(ctx.app_id)]
        fields = {str(f) for a in ours for f in a.get("subscribed_fields") or []}
        if not ours:
            findings.append(
                Finding("subscription", Status.FAIL, subject, "our app is not installed on the Page", action)
            )
        elif "leadgen" not in fields:
            findings.append(
                Finding("subscription", Status.FAIL, subject, "the app is installed without the leadgen field", action)
            )
        else:
            findings.append(Finding("subscription", Status.OK, subject, "the app receives leadgen webhooks"))
    return findings


def lead_read(ctx: Context) -> list[Finding]:
    """Each routed form's leads can be read: a bulk read, then our latest lead of the form by id.

    The bulk read catches Leads Access and permission gaps; reading a lead we already hold by id
    catches an app left in Development mode, whose bulk reads silently leave most leads out.
    """
    findings: list[Finding] = []
    for route in ctx.routes:
        subject = f"form {route.form_id}"
        graph = ctx.graph_for_page(route.page_id)
        try:
            graph.get(f"{route.form_id}/leads", {"limit": "1", "fields": "id"})
            known = ctx.leads.latest_lead_id(route.form_id)
            if known is not None:
                graph.get(known, {"fields": "id"})
        except GraphError as exc:
            findings.append(
                Finding("lead_read", Status.FAIL, subject, f"reading leads failed: {exc.describe()}", _fix(exc))
            )
            continue
        findings.append(Finding("lead_read", Status.OK, subject, "leads can be read"))
    return findings


def audience(ctx: Context) -> list[Finding]:
    """Each routed audience is readable, CUSTOM, not flagged (471) and not expiring (100)."""
    findings: list[Finding] = []
    graph = ctx.graph_for_page(None)
    for audience_id in sorted({a for r in ctx.routes for a in r.audience_ids}):
        subject = f"audience {audience_id}"
        try:
            body = graph.get(audience_id, {"fields": "subtype,operation_status,delete_time"}).data
        except GraphError as exc:
            findings.append(
                Finding("audience", Status.FAIL, subject, f"reading it failed: {exc.describe()}", _fix(exc))
            )
            continue
        findings.append(_judge_audience(subject, body))
    return findings


def _judge_audience(subject: str, body: Mapping[str, Any]) -> Finding:
    status = body.get("operation_status") or {}
    code = status.get("code", status.get("status")) if isinstance(status, dict) else None
    if body.get("subtype") not in (None, "CUSTOM"):
        return Finding(
            "audience",
            Status.FAIL,
            subject,
            f"subtype {body.get('subtype')}, not CUSTOM",
            "route a customer-file (CUSTOM) audience instead",
        )
    if str(code) == str(FLAGGED_STATUS):
        return Finding(
            "audience",
            Status.FAIL,
            subject,
            "flagged for integrity review (operation_status 471): uploads are refused",
            "rename it or fix the flagged fields in Audience Manager, or appeal; else route a new audience",
        )
    if str(code) == str(EXPIRING_STATUS):
        return Finding(
            "audience",
            Status.WARN,
            subject,
            f"expiring (operation_status 100), delete_time {body.get('delete_time')}",
            "use it in an active ad set to keep it, or route a new audience",
        )
    return Finding("audience", Status.OK, subject, f"CUSTOM, operation_status {code}")


def webhook_drift(ctx: Context) -> list[Finding]:
    """Leads that reached us only through the backfill: the webhook missed them."""
    findings: list[Finding] = []
    since = ctx.now - ctx.drift_days * DAY
    for route in ctx.routes:
        subject = f"form {route.form_id}"
        counts = ctx.leads.sources_since(route.form_id, since)
        missed, total = counts.get("backfill", 0), sum(counts.values())
        if missed:
            findings.append(
                Finding(
                    "webhook_drift",
                    Status.WARN,
                    subject,
                    f"{missed} of {total} lead(s) of the last {ctx.drift_days} days arrived only through the backfill",
                    "check the Page's subscription and the app's Webhooks product (callback URL, leadgen field); "
                    "the backfill kept them",
                )
            )
        else:
            findings.append(
                Finding(
                    "webhook_drift",
                    Status.OK,
                    subject,
                    f"{total} lead(s) of the last {ctx.drift_days} days, all by webhook"
                    if total
                    else f"no lead in the last {ctx.drift_days} days",
                )
            )
    return findings


def _fix(exc: GraphError) -> str:
    if isinstance(exc, GraphAuthError) and exc.code == 190:
        return "the token is invalid or expired: issue a new one and store it in MetaSecret"
    if isinstance(exc, GraphAuthError):
        return LEADS_ACCESS_ACTION
    return "see Meta's error code; run the check again later if it is temporary"


CHECKS: dict[str, Callable[[Context], list[Finding]]] = {
    "token": token,
    "subscription": subscription,
    "lead_read": lead_read,
    "audience": audience,
    "webhook_drift": webhook_drift,
}
