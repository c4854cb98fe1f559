"""Graph endpoints: lead and node reads, the ``/{form}/leads`` and ``/{ad}/leads`` edges, subscriptions, debug_token.

Audience endpoints live in :mod:`leadloop_cli.graphsim.routes.audiences`, test leads in
:mod:`leadloop_cli.graphsim.routes.testleads`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from leadloop_cli.graphsim.access import require_lead_read, require_visible
from leadloop_cli.graphsim.auth import authenticate, require_app, require_page, require_scope
from leadloop_cli.graphsim.config import APP_NAME
from leadloop_cli.graphsim.errors import GraphError, invalid_param, nonexisting_field, unsupported_request
from leadloop_cli.graphsim.leads import parse_fields, render_lead
from leadloop_cli.graphsim.request import DEFAULT_VERSION
from leadloop_cli.graphsim.response import GraphResponse
from leadloop_cli.graphsim.routes.audiences import account_edge, audience_edge, is_account_node, read_audience
from leadloop_cli.graphsim.routes.leadlist import lead_list
from leadloop_cli.graphsim.routes.testleads import delete_node, form_test_leads
from leadloop_cli.graphsim.tokens import debug_view, unknown_token_view
from leadloop_cli.graphsim.webhooks import SubscriptionError

if TYPE_CHECKING:
    from leadloop_cli.graphsim.core import SimCore
    from leadloop_cli.graphsim.models import Form, Lead, Page, TokenGrant
    from leadloop_cli.graphsim.request import GraphRequest

FORM_FIELDS = ("id", "name", "status", "leads_count", "page")
PAGE_FIELDS = ("id", "name", "access_token")
APP_FIELDS = ("id", "name")


def route(request: GraphRequest, core: SimCore) -> GraphResponse:
    """Answer one (non-batch) Graph call; raises :class:`GraphError` for Meta's errors."""
    if not request.segments:
        raise invalid_param("Root requests need a batch (POST) or an object id; GET /?ids= was removed in v26")
    grant = authenticate(request, core.state)
    node_id, *edges = request.segments
    if not edges:
        if request.method == "DELETE":
            return delete_node(request, core, grant, node_id)
        if request.method != "GET":
            raise unsupported_request(request.method, node_id)
        if node_id == "debug_token":
            return _debug_token(request, core)
        return _read_node(request, core, grant, node_id)
    if len(edges) == 1:
        return _edge(request, core, grant, node_id, edges[0])
    raise unsupported_request(request.method, node_id)


def _read_node(request: GraphRequest, core: SimCore, grant: TokenGrant, node_id: str) -> GraphResponse:
    state = core.state
    if node_id == core.config.app_id:
        fields = parse_fields(request.param("fields"), "Application", APP_FIELDS)
        return GraphResponse(200, _select({"id": node_id, "name": APP_NAME}, fields))
    lead = state.lead(node_id)
    if lead is not None:
        require_lead_read(state, grant, lead.page_id)
        require_visible(state, lead)
        fields = parse_fields(request.param("fields"))
        headers = core.usage.leadgen_call(lead.page_id)
        return GraphResponse(200, render_lead(lead, fields), headers, rows=1)
    form = state.form(node_id)
    if form is not None:
        require_page(grant, form.page_id)
        return GraphResponse(200, _render_form(core, form, request.param("fields")))
    page = state.page(node_id)
    if page is not None:
        require_page(grant, page.id)
        fields = parse_fields(request.param("fields"), "Page", PAGE_FIELDS)
        # access_token: the Page token, for a token granted the Page (Meta's way to get one).
        values = {"id": page.id, "name": page.name, "access_token": page.access_token}
        return GraphResponse(200, _select(values, fields))
    audience = state.audience(node_id)
    if audience is not None:
        return read_audience(request, core, grant, audience)
    raise unsupported_request("GET", node_id)


def _edge(request: GraphRequest, core: SimCore, grant: TokenGrant, node_id: str, edge: str) -> GraphResponse:
    state = core.state
    if node_id == core.config.app_id and edge == "subscriptions":
        require_app(grant)
        return _subscriptions(request, core)
    if is_account_node(node_id):
        return account_edge(request, core, grant, node_id, edge)
    audience = state.audience(node_id)
    if audience is not None:
        return audience_edge(request, core, grant, audience, edge)
    form = state.form(node_id)
    if form is not None:
        if edge == "test_leads":
            return form_test_leads(request, core, grant, form)
        if edge != "leads":
            raise nonexisting_field(edge, "LeadgenForm")
        if request.method != "GET":
            raise unsupported_request(request.method, node_id)
        require_lead_read(state, grant, form.page_id)
        return lead_list(request, core, form.page_id, state.form_leads(form.id))
    page = state.page(node_id)
    if page is not None:
        if edge != "subscribed_apps":
            raise nonexisting_field(edge, "Page")
        require_page(grant, page.id)
        return _subscribed_apps(request, core, grant, page)
    if state.lead(node_id) is not None:
        raise nonexisting_field(edge, "Lead")
    ad_leads = state.ad_leads(node_id)
    if ad_leads:
        return _ad_leads(request, core, grant, edge, ad_leads)
    raise unsupported_request(request.method, node_id)


def _ad_leads(request: GraphRequest, core: SimCore, grant: TokenGrant, edge: str, leads: list[Lead]) -> GraphResponse:
    """``GET /{ad_id}/leads``: the ad's leads, read like a form's (every Page they came from must be readable).

    The call counts against the leadgen budget of the Page of the ad's first lead.
    """
    if edge != "leads":
        raise nonexisting_field(edge, "Ad")
    if request.method != "GET":
        raise unsupported_request(request.method, request.segments[0])
    pages = list(dict.fromkeys(lead.page_id for lead in reversed(leads)))
    for page_id in pages:
        require_lead_read(core.state, grant, page_id)
    return lead_list(request, core, pages[0], leads)


def _render_form(core: SimCore, form: Form, raw_fields: object) -> dict[str, Any]:
    fields = parse_fields(raw_fields, "LeadgenForm", FORM_FIELDS)
    page = core.state.page(form.page_id)
    values = {
        "id": form.id,
        "name": form.name,
        "status": "ACTIVE",
        "leads_count": len(core.state.form_leads(form.id)),
        "page": {"id": form.page_id, "name": page.name if page else ""},
    }
    return _select(values, fields)


def _select(values: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    selected = {name: values[name] for name in fields if name != "id"}
    selected["id"] = values["id"]
    return selected


def _field_list(raw: object) -> list[str]:
    """``fields``/``subscribed_fields`` given as ``a,b``, a JSON array string or a list."""
    if isinstance(raw, list):
        return [str(item).strip() for item in raw if str(item).strip()]
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                return _field_list(json.loads(text))
            except json.JSONDecodeError as exc:
                raise invalid_param("fields must be a list") from exc
        return [part.strip() for part in text.split(",") if part.strip()]
    return []


def _subscriptions(request: GraphRequest, core: SimCore) -> GraphResponse:
    state = core.state
    if request.method == "GET":
        subscription = state.subscription
        data = []
        if subscription is not None:
            version = request.version or DEFAULT_VERSION
            data.append(
                {
                    "object": subscription.object,
                    "callback_url": subscription.callback_url,
                    "active": True,
                    "fields": [{"name": name, "version": version} for name in subscription.fields],
                }
            )
        return GraphResponse(200, {"data": data})
    if request.method == "DELETE":
        state.set_subscription(None)
        return GraphResponse(200, {"success": True})
    if request.method != "POST":
        raise unsupported_request(request.method, core.config.app_id)
    if request.param("object") != "page":
        raise invalid_param("(#100) The simulator only supports object=page subscriptions")
    callback_url, verify_token = request.param("callback_url"), request.param("verify_token")
    if not isinstance(callback_url, str) or not callback_url:
        raise invalid_param("(#100) The parameter callback_url is required")
    if not isinstance(verify_token, str):
        raise invalid_param("(#100) The parameter verify_token is required")
    fields = _field_list(request.param("fields")) or ["leadgen"]
    try:
        core.subscribe(callback_url, verify_token, fields)
    except SubscriptionError as exc:
        raise GraphError(2200, f"(#2200) Callback verification failed with the following errors: {exc}") from exc
    return GraphResponse(200, {"success": True})


def _subscribed_apps(request: GraphRequest, core: SimCore, grant: TokenGrant, page: Page) -> GraphResponse:
    state = core.state
    if request.method == "GET":
        data = []
        if page.subscribed_fields:
            data.append(
                {
                    "name": APP_NAME,
                    "id": core.config.app_id,
                    "subscribed_fields": list(page.subscribed_fields),
                }
            )
        return GraphResponse(200, {"data": data})
    if request.method not in ("POST", "DELETE"):
        raise unsupported_request(request.method, page.id)
    require_scope(grant, "pages_manage_metadata", "to manage the object")
    if request.method == "DELETE":
        state.set_page_subscribed_fields(page.id, [])
        return GraphResponse(200, {"success": True})
    fields = _field_list(request.param("subscribed_fields"))
    if not fields:
        raise invalid_param("(#100) The parameter subscribed_fields is required")
    state.set_page_subscribed_fields(page.id, fields)
    return GraphResponse(200, {"success": True})


def _debug_token(request: GraphRequest, core: SimCore) -> GraphResponse:
    """``GET /debug_token?input_token=``; any valid token of the app may ask.

    Meta wants the app token, or a token inspecting itself or the app's tokens. A string Meta
    cannot parse is answered with HTTP 200 and ``is_valid: false``, never an error.
    """
    input_token = request.param("input_token")
    if not isinstance(input_token, str) or not input_token.strip():
        raise invalid_param("(#100) The parameter input_token is required")
    view = debug_view(core.state, input_token.strip())
    return GraphResponse(200, {"data": view if view is not None else unknown_token_view()})
