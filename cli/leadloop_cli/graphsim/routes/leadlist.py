"""One page of leads in Graph's list shape; shared by ``/{form}/leads``, ``/{ad}/leads`` and ``/{form}/test_leads``."""

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
    from leadloop_cli.graphsim.models import Lead
    from leadloop_cli.graphsim.request import GraphRequest


def lead_list(request: GraphRequest, core: SimCore, page_id: str, leads: Sequence[Lead]) -> GraphResponse:
    """``{"data", "paging"?}`` of ``leads`` (newest first) after ``fields/limit/after|before/filtering``.

    The call counts against ``page_id``'s leadgen budget.
    """
    fields = parse_fields(request.param("fields"))
    limit = parse_limit(request.param("limit"), core.config.default_limit, core.config.max_limit)
    filters = parse_filtering(request.param("filtering"))
    after, before = _cursor(request, "after"), _cursor(request, "before")
    if after and before:
        raise invalid_param("Use either the before or the after cursor, not both")
    headers = core.usage.leadgen_call(page_id)
    visible = visible_leads(core.state, leads)
    result = page_leads(visible, filters=filters, limit=limit, after=after, before=before)
    body: dict[str, Any] = {"data": [render_lead(lead, fields) for lead in result.leads]}
    if result.leads:
        first, last = encode_cursor(result.leads[0]), encode_cursor(result.leads[-1])
        paging: dict[str, Any] = {"cursors": {"before": first, "after": last}}
        if result.has_before:
            paging["previous"] = _page_url(request, limit, "before", first)
        if result.has_after:
            paging["next"] = _page_url(request, limit, "after", last)
        body["paging"] = paging
    return GraphResponse(200, body, headers, rows=len(result.leads))


def _cursor(request: GraphRequest, name: str) -> str | None:
    value = request.param(name)
    if value is not None and not isinstance(value, str):
        raise invalid_param(f"The {name} cursor is invalid")
    return value or None


def _page_url(request: GraphRequest, limit: int, direction: str, cursor: str) -> str:
    """The same query (token and proof only if they were in the query string) plus one cursor."""
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
    query[direction] = cursor
    return f"{request.base_url.rstrip('/')}{request.path}?{urlencode(query)}"
