"""The ``/_sim/`` test-control API (see the package docstring for the full route list)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from leadloop_cli.graphsim.audiences import data_source, delete_time
from leadloop_cli.graphsim.config import APP_NAME
from leadloop_cli.graphsim.errors import ControlError
from leadloop_cli.graphsim.faults import FaultSpec
from leadloop_cli.graphsim.leads import render_lead
from leadloop_cli.graphsim.replace import session_view
from leadloop_cli.graphsim.schemas import (
    AdAccountIn,
    AppIn,
    AudienceIn,
    AudienceSizeIn,
    AudienceStatusIn,
    ClockIn,
    ConfigIn,
    FormIn,
    LeadIn,
    LeadsAccessIn,
    PageIn,
    ReplaceOutcomeIn,
    SubscribedAppsIn,
    SubscriptionIn,
    TokenIn,
    TokenStateIn,
    WebhooksIn,
    describe_validation_error,
)
from leadloop_cli.graphsim.state import normalize_account_id
from leadloop_cli.graphsim.tokens import debug_view
from leadloop_cli.graphsim.webhooks import SubscriptionError

if TYPE_CHECKING:
    from werkzeug.wrappers import Request

    from leadloop_cli.graphsim.core import SimCore
    from leadloop_cli.graphsim.models import Lead

Result = tuple[int, Any]
_TOKEN_PATH = re.compile(r"^(/_sim/tokens/).+")
Handler = Callable[["SimCore", "Request", "re.Match[str]"], Result]
ALL_LEAD_FIELDS = (
    "id",
    "created_time",
    "form_id",
    "ad_id",
    "adset_id",
    "campaign_id",
    "field_data",
    "custom_disclaimer_responses",
    "is_organic",
    "platform",
)


def _body(request: Request) -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ControlError(f"body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ControlError("body must be a JSON object")
    return document


def _parse[M: BaseModel](model: type[M], request: Request) -> M:
    try:
        return model.model_validate(_body(request))
    except ValidationError as exc:
        raise ControlError(describe_validation_error(exc)) from exc


def _value_error(exc: ValueError) -> ControlError:
    return ControlError(str(exc))


# -- leads and webhooks ---------------------------------------------------------------------------


def post_lead(core: SimCore, request: Request, _: re.Match[str]) -> Result:
    spec = _parse(LeadIn, request)
    try:
        lead = core.create_lead(spec)
    except ValueError as exc:
        raise _value_error(exc) from exc
    return 200, {"id": lead.id}


def get_leads(core: SimCore, request: Request, _: re.Match[str]) -> Result:
    form_id = request.args.get("form_id")
    if not form_id:
        raise ControlError("query parameter form_id is required")
    if core.state.form(form_id) is None:
        raise ControlError(f"unknown form_id {form_id!r}", status=404)
    leads = core.state.form_leads(form_id)
    return 200, {"data": [_sim_lead_view(lead) for lead in leads]}


def _sim_lead_view(lead: Lead) -> dict[str, Any]:
    """Every Graph field of a lead plus what only the simulator knows."""
    view = render_lead(lead, ALL_LEAD_FIELDS)
    return {**view, "by_app_role": lead.by_app_role, "test_lead": lead.test_creator is not None}


def post_webhooks(core: SimCore, request: Request, _: re.Match[str]) -> Result:
    spec = _parse(WebhooksIn, request)
    try:
        ids = core.send_webhooks(spec.lead_ids, spec.copies)
    except ValueError as exc:
        raise _value_error(exc) from exc
    return 200, {"deliveries": len(ids), "ids": ids}


def get_webhooks(core: SimCore, request: Request, _: re.Match[str]) -> Result:
    wait = request.args.get("wait")
    if wait:
        try:
            timeout = min(float(wait), 120.0)
        except ValueError as exc:
            raise ControlError("wait must be a number of seconds") from exc
        core.webhooks.wait_idle(timeout)
    return 200, core.webhooks.log()


def delete_webhooks(core: SimCore, _request: Request, _: re.Match[str]) -> Result:
    core.webhooks.clear()
    return 200, core.webhooks.log()


def post_subscription(core: SimCore, request: Request, _: re.Match[str]) -> Result:
    spec = _parse(SubscriptionIn, request)
    try:
        core.subscribe(spec.callback_url, spec.verify_token)
    except SubscriptionError as exc:
        raise ControlError(str(exc), status=409) from exc
    return 200, {"success": True}


def get_subscription(core: SimCore, _request: Request, _: re.Match[str]) -> Result:
    subscription = core.state.subscription
    if subscription is None:
        return 200, {"subscription": None}
    view = {
        "object": subscription.object,
        "callback_url": subscription.callback_url,
        "fields": subscription.fields,
    }
    return 200, {"subscription": view}


# -- objects --------------------------------------------------------------------------------------


def post_page(core: SimCore, request: Request, _: re.Match[str]) -> Result:
    spec = _parse(PageIn, request)
    page = core.state.add_page(spec.page_id, spec.access_token, spec.name)
    return 200, {"id": page.id}


def post_form(core: SimCore, request: Request, _: re.Match[str]) -> Result:
    spec = _parse(FormIn, request)
    try:
        form = core.state.add_form(spec.form_id, spec.page_id, spec.name)
    except ValueError as exc:
        raise _value_error(exc) from exc
    return 200, {"id": form.id}


def post_ad_account(core: SimCore, request: Request, _: re.Match[str]) -> Result:
    spec = _parse(AdAccountIn, request)
    try:
        return 200, {"id": core.state.add_ad_account(spec.account_id, spec.token)}
    except ValueError as exc:
        raise _value_error(exc) from exc


def post_audience(core: SimCore, request: Request, _: re.Match[str]) -> Result:
    spec = _parse(AudienceIn, request)
    try:
        audience = core.state.add_audience(
            spec.audience_id,
            spec.account_id,
            spec.name,
            description=spec.description,
            customer_file_source=spec.customer_file_source,
        )
    except ValueError as exc:
        raise _value_error(exc) from exc
    return 200, {"id": audience.id}


def audience_view(core: SimCore, audience_id: str) -> dict[str, Any] | None:
    """What ``GET /_sim/audiences/{id}`` answers (exact members), or ``None`` when unknown."""
    audience = core.state.audience(audience_id)
    if audience is None:
        return None
    with core.state.lock:
        core.state.settle_audience(audience)
        return {
            "id": audience.id,
            "account_id": audience.account_id,
            "name": audience.name,
            "schema": list(audience.schema),
            "members": [list(row) for row in audience.members],
            "operation_status": dict(audience.operation_status),
            "delete_time": delete_time(audience),
            "data_source": data_source(audience),
            "sessions": [session_view(session) for session in audience.sessions],
        }


def get_audience(core: SimCore, _request: Request, match: re.Match[str]) -> Result:
    view = audience_view(core, match.group("id"))
    if view is None:
        raise ControlError(f"unknown audience {match.group('id')!r}", status=404)
    return 200, view


def post_audience_status(core: SimCore, request: Request, match: re.Match[str]) -> Result:
    spec = _parse(AudienceStatusIn, request)
    audience = _or_404(
        "audience",
        match.group("id"),
        lambda: core.state.set_audience_status(match.group("id"), spec.code, spec.description),
    )
    return 200, {
        "id": audience.id,
        "operation_status": dict(audience.operation_status),
        "delete_time": delete_time(audience),
    }


def _or_404[T](kind: str, key: str, change: Callable[[], T]) -> T:
    """Run a state change on a known object; an unknown id is the caller's 404."""
    try:
        return change()
    except KeyError as exc:
        raise ControlError(f"unknown {kind} {key!r}", status=404) from exc


def post_audience_size(core: SimCore, request: Request, match: re.Match[str]) -> Result:
    spec = _parse(AudienceSizeIn, request)
    audience = _or_404(
        "audience", match.group("id"), lambda: core.state.set_audience_size(match.group("id"), spec.approximate_count)
    )
    return 200, {"id": audience.id, "approximate_count": audience.size_floor}


def post_replace_outcome(core: SimCore, request: Request, match: re.Match[str]) -> Result:
    spec = _parse(ReplaceOutcomeIn, request)
    audience = _or_404(
        "audience", match.group("id"), lambda: core.state.set_replace_outcome(match.group("id"), spec.outcome == "fail")
    )
    return 200, {"id": audience.id, "outcome": "fail" if audience.fail_next_replace else "ok"}


def post_token(core: SimCore, request: Request, _: re.Match[str]) -> Result:
    spec = _parse(TokenIn, request)
    try:
        core.state.add_user_token(spec.token, spec.page_ids, spec.account_ids, system_user=spec.system_user)
    except ValueError as exc:
        raise _value_error(exc) from exc
    return 200, {"success": True}


def post_token_state(core: SimCore, request: Request, match: re.Match[str]) -> Result:
    view = apply_token_state(core, match.group("token"), _parse(TokenStateIn, request))
    if view is None:
        raise ControlError("unknown token", status=404)  # never echo a token
    return 200, view


def apply_token_state(core: SimCore, token: str, spec: TokenStateIn) -> dict[str, Any] | None:
    """Change the keys given in ``spec``; the token's ``debug_token`` view, ``None`` when unknown."""
    state = core.state
    with state.lock:
        status = state.token_status(token)
        if spec.is_valid is not None:
            status.is_valid = spec.is_valid
        if "expires_at" in spec.model_fields_set:
            status.expires_at = spec.expires_at or 0
        if "data_access_expires_at" in spec.model_fields_set:
            status.data_access_expires_at = spec.data_access_expires_at
        if spec.scopes is not None:
            status.scopes = tuple(dict.fromkeys(spec.scopes))
        try:
            state.set_token_status(token, status)
        except KeyError:
            return None
        return debug_view(state, token)


# -- Page and app health (what silent-lead-loss checks look at) ------------------------------------


def post_leads_access(core: SimCore, request: Request, match: re.Match[str]) -> Result:
    spec = _parse(LeadsAccessIn, request)
    page = _or_404("page", match.group("id"), lambda: core.state.set_leads_access(match.group("id"), spec.granted))
    return 200, {"id": page.id, "granted": page.leads_access}


def post_page_subscribed_apps(core: SimCore, request: Request, match: re.Match[str]) -> Result:
    spec = _parse(SubscribedAppsIn, request)
    page = _or_404(
        "page",
        match.group("id"),
        lambda: core.state.set_page_subscribed_fields(match.group("id"), spec.subscribed_fields),
    )
    return 200, {"id": page.id, "subscribed_fields": list(page.subscribed_fields)}


def app_view(core: SimCore) -> dict[str, Any]:
    """What ``GET /_sim/app`` answers."""
    return {"id": core.config.app_id, "name": APP_NAME, "mode": core.state.app_mode}


def post_app(core: SimCore, request: Request, _: re.Match[str]) -> Result:
    core.state.set_app_mode(_parse(AppIn, request).mode)
    return 200, app_view(core)


def get_app(core: SimCore, _request: Request, _: re.Match[str]) -> Result:
    return 200, app_view(core)


# -- faults, clock, calls, config -----------------------------------------------------------------


def post_fault(core: SimCore, request: Request, _: re.Match[str]) -> Result:
    return 200, {"id": core.faults.add(_parse(FaultSpec, request))}


def get_faults(core: SimCore, _request: Request, _: re.Match[str]) -> Result:
    return 200, core.faults.describe()


def delete_faults(core: SimCore, _request: Request, _: re.Match[str]) -> Result:
    core.faults.clear()
    return 200, {"success": True}


def delete_fault(core: SimCore, _request: Request, match: re.Match[str]) -> Result:
    if not core.faults.remove(match.group("id")):
        raise ControlError(f"unknown fault {match.group('id')!r}", status=404)
    return 200, {"success": True}


def post_clock(core: SimCore, request: Request, _: re.Match[str]) -> Result:
    spec = _parse(ClockIn, request)
    if spec.frozen is not None:
        core.clock.freeze(spec.frozen)
    if spec.set is not None:
        core.clock.set(spec.set)
    if spec.advance_seconds is not None:
        core.clock.advance(spec.advance_seconds)
    return get_clock(core, request, _)


def get_clock(core: SimCore, _request: Request, _: re.Match[str]) -> Result:
    return 200, {"now": core.clock.now(), "time": round(core.clock.time(), 3), "frozen": core.clock.frozen}


def get_calls(core: SimCore, _request: Request, _: re.Match[str]) -> Result:
    return 200, core.calls.snapshot()


def delete_calls(core: SimCore, _request: Request, _: re.Match[str]) -> Result:
    core.calls.clear()
    return 200, {"success": True}


def get_config(core: SimCore, _request: Request, _: re.Match[str]) -> Result:
    with core.state.lock:
        return 200, {
            **core.config.public(),
            "leadgen_budgets": core.usage.budgets(),
            "audience_budgets": core.usage.audience_budgets(),
        }


def post_config(core: SimCore, request: Request, match: re.Match[str]) -> Result:
    spec = _parse(ConfigIn, request)
    apply_config(core, spec)
    return get_config(core, request, match)


def apply_config(core: SimCore, spec: ConfigIn) -> None:
    """Apply every knob given in ``spec`` (shared with ``GraphSimulator.configure``)."""
    config = core.config
    with core.state.lock:
        for budget_page, calls in (spec.leadgen_budgets or {}).items():
            core.usage.set_leadgen_budget(budget_page, calls)
        for account, calls in (spec.audience_budgets or {}).items():
            try:
                account_id = normalize_account_id(account)
            except ValueError as exc:
                raise ControlError(str(exc)) from exc
            core.usage.set_audience_budget(account_id, calls)
        if spec.ads_api_access_tier is not None:
            config.ads_api_access_tier = spec.ads_api_access_tier
        if spec.webhook_retry_delays is not None:
            config.webhook_retry_delays = tuple(spec.webhook_retry_delays)
        if spec.webhook_timeout is not None:
            config.webhook_timeout = spec.webhook_timeout
        if spec.require_appsecret_proof is not None:
            config.require_appsecret_proof = spec.require_appsecret_proof
        if spec.require_page_subscription is not None:
            config.require_page_subscription = spec.require_page_subscription
        if spec.app_hourly_budget is not None:
            config.app_hourly_budget = spec.app_hourly_budget
        if spec.default_limit is not None:
            config.default_limit = spec.default_limit
        if spec.max_limit is not None:
            config.max_limit = spec.max_limit
        if spec.seed is not None:
            config.seed = spec.seed
            core.faults.reseed(spec.seed)
        if spec.replace_window_seconds is not None:
            config.replace_window_seconds = spec.replace_window_seconds
        if spec.replace_processing_seconds is not None:
            config.replace_processing_seconds = spec.replace_processing_seconds


def post_reset(core: SimCore, _request: Request, _: re.Match[str]) -> Result:
    core.reset()
    return 200, {"success": True}


ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    ("POST", re.compile(r"^/_sim/leads$"), post_lead),
    ("GET", re.compile(r"^/_sim/leads$"), get_leads),
    ("POST", re.compile(r"^/_sim/webhooks$"), post_webhooks),
    ("GET", re.compile(r"^/_sim/webhooks$"), get_webhooks),
    ("DELETE", re.compile(r"^/_sim/webhooks$"), delete_webhooks),
    ("POST", re.compile(r"^/_sim/subscriptions$"), post_subscription),
    ("GET", re.compile(r"^/_sim/subscriptions$"), get_subscription),
    ("POST", re.compile(r"^/_sim/pages$"), post_page),
    ("POST", re.compile(r"^/_sim/forms$"), post_form),
    ("POST", re.compile(r"^/_sim/ad_accounts$"), post_ad_account),
    ("POST", re.compile(r"^/_sim/audiences$"), post_audience),
    ("GET", re.compile(r"^/_sim/audiences/(?P<id>[^/]+)$"), get_audience),
    ("POST", re.compile(r"^/_sim/audiences/(?P<id>[^/]+)/status$"), post_audience_status),
    ("POST", re.compile(r"^/_sim/audiences/(?P<id>[^/]+)/size$"), post_audience_size),
    ("POST", re.compile(r"^/_sim/audiences/(?P<id>[^/]+)/replace_outcome$"), post_replace_outcome),
    ("POST", re.compile(r"^/_sim/tokens$"), post_token),
    ("POST", re.compile(r"^/_sim/tokens/(?P<token>[^/]+)/state$"), post_token_state),
    ("POST", re.compile(r"^/_sim/pages/(?P<id>[^/]+)/leads_access$"), post_leads_access),
    ("POST", re.compile(r"^/_sim/pages/(?P<id>[^/]+)/subscribed_apps$"), post_page_subscribed_apps),
    ("POST", re.compile(r"^/_sim/app$"), post_app),
    ("GET", re.compile(r"^/_sim/app$"), get_app),
    ("POST", re.compile(r"^/_sim/faults$"), post_fault),
    ("GET", re.compile(r"^/_sim/faults$"), get_faults),
    ("DELETE", re.compile(r"^/_sim/faults$"), delete_faults),
    ("DELETE", re.compile(r"^/_sim/faults/(?P<id>[^/]+)$"), delete_fault),
    ("POST", re.compile(r"^/_sim/clock$"), post_clock),
    ("GET", re.compile(r"^/_sim/clock$"), get_clock),
    ("GET", re.compile(r"^/_sim/calls$"), get_calls),
    ("DELETE", re.compile(r"^/_sim/calls$"), delete_calls),
    ("GET", re.compile(r"^/_sim/config$"), get_config),
    ("POST", re.compile(r"^/_sim/config$"), post_config),
    ("POST", re.compile(r"^/_sim/reset$"), post_reset),
]


def redact_path(path: str) -> str:
    """The path with everything after ``/_sim/tokens/`` masked: tokens never reach logs or errors."""
    return _TOKEN_PATH.sub(r"\1***", path)


def handle(core: SimCore, request: Request) -> Result:
    """Route one ``/_sim/`` request; bad input is :class:`ControlError` (rendered by the server)."""
    path = request.path.rstrip("/") or "/"
    allowed = []
    for method, pattern, handler in ROUTES:
        match = pattern.match(path)
        if match is None:
            continue
        if method == request.method:
            return handler(core, request, match)
        allowed.append(method)
    if allowed:
        raise ControlError(f"method {request.method} not allowed here (use {', '.join(allowed)})", status=405)
    raise ControlError(f"no such control route: {request.method} {redact_path(request.path)}", status=404)
