"""One page of a form's leads in Graph's list shape; shared by ``/{form}/leads`` and ``/{form}/test_leads``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from leadloop_cli.graphsim.access import visible_leads
from leadloop_cli.graphsim.errors import invalid_param
from leadloop_cli.graphsim.leads import (
    encode_cursor,
    page_leads,
    parse_fields,
    parse_filtering,
    parse_limit,
    render_lead,
)
from leadloop_cli.graphsim.response import GraphResponse

if TYPE_CHECKING:
    from collections.abc import Sequence

    from leadloop_cli.graphsim.core import SimCore
    from leadloop_cli.graphsim.models import Form, Lead
    from leadloop_cli.graphsim.request import GraphRequest


def lead_list(request: GraphRequest, core: SimCore, form: Form, leads: Sequence[Lead]) -> GraphResponse:
    """``{"data", "paging"?}`` of ``leads`` (newest first) after ``fields/limit/after/filtering``."""
    fields = parse_fields(request.param("fields"))
    limit = parse_limit(request.param("limit"), core.config.default_limit, core.config.max_limit)
    filters = parse_filtering(request.param("filtering"))
    after = request.param("after")
    if after is not None and not isinstance(after, str):
        raise invalid_param("The after cursor is invalid")
    headers = core.usage.leadgen_call(form.page_id)
    result = page_leads(visible_leads(core.state, leads), filters=filters, limit=limit, after=after or None)
    body: dict[str, Any] = {"data": [render_lead(lead, fields) for lead in result.leads]}
    if result.leads:
        last = encode_cursor(result.leads[-1])
        paging: dict[str, Any] = {"cursors": {"before": encode_cursor(result.leads[0]), "after": last}}
        if result.has_more:
            paging["next"] = _next_url(request, limit, last)
        body["paging"] = paging
    return GraphResponse(200, body, headers, rows=len(result.leads))


def _next_url(request: GraphRequest, limit: int, after: str) -> str:
    """The same query (token and proof only if they were in the query string) plus ``after``."""
    query: dict[str, str] = {}
    for secret in ("access_token", "appsecret_proof"):
        if secret in request.query:
            query[secret] = request.query[secret]
    fields = request.param("fields")
    if fields:
        query["fields"] = ",".join(fields) if isinstance(fields, list) else str(fields)
    query["limit"] = str(limit)
    filtering = request.param("filtering")
    if filtering:
        query["filtering"] = filtering if isinstance(filtering, str) else json.dumps(filtering)
    query["after"] = after
    return f"{request.base_url.rstrip('/')}{request.path}?{urlencode(query)}"
