"""Graph endpoints of test leads: ``GET|POST /{form_id}/test_leads`` and ``DELETE /{lead_id}``.

The rules live in :mod:`leadloop_cli.graphsim.testleads`; this module turns requests into them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadloop_cli.graphsim.access import require_lead_read
from leadloop_cli.graphsim.errors import GraphError, unsupported_request
from leadloop_cli.graphsim.response import GraphResponse
from leadloop_cli.graphsim.routes.leadlist import lead_list
from leadloop_cli.graphsim.testleads import create_test_lead, delete_test_lead, parse_answers, parse_disclaimers
from leadloop_cli.graphsim.testleads import require_creator as require_test_lead_creator

if TYPE_CHECKING:
    from leadloop_cli.graphsim.core import SimCore
    from leadloop_cli.graphsim.models import Form, TokenGrant
    from leadloop_cli.graphsim.request import GraphRequest


def form_test_leads(request: GraphRequest, core: SimCore, grant: TokenGrant, form: Form) -> GraphResponse:
    """``POST`` creates the form's test lead → ``{"id"}``; ``GET`` lists it like ``/{form}/leads``."""
    if request.method == "GET":
        require_lead_read(core.state, grant, form.page_id)
        return lead_list(request, core, form.page_id, core.state.form_test_leads(form.id))
    if request.method != "POST":
        raise unsupported_request(request.method, form.id)
    require_test_lead_creator(grant, form)
    answers = parse_answers(request.param("field_data"))
    disclaimers = parse_disclaimers(request.param("custom_disclaimer_responses"))
    lead = create_test_lead(core, _token(request), form, answers, disclaimers)
    return GraphResponse(200, {"id": lead.id})


def delete_node(request: GraphRequest, core: SimCore, grant: TokenGrant, node_id: str) -> GraphResponse:
    """``DELETE /{lead_id}`` of a test lead by its creator → ``{"success": true}``."""
    delete_test_lead(core.state, grant, _token(request), node_id)
    return GraphResponse(200, {"success": True})


def _token(request: GraphRequest) -> str:
    token = request.token
    if not token:  # authenticate() has refused token-less calls already
        raise GraphError(190, "An access token is required to request this resource.")
    return token
