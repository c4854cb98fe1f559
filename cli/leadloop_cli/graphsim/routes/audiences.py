"""Graph endpoints for customer-file Custom Audiences (create, read, /users, /usersreplace, /sessions, opt-out)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from leadloop_cli.graphsim.audiences import (
    AUDIENCE_FIELDS,
    CUSTOMER_FILE_SOURCES,
    add_members,
    ensure_editable,
    ensure_source,
    parse_payload,
    parse_session,
    record_session,
    remove_members,
    render_audience,
)
from leadloop_cli.graphsim.auth import require_account
from leadloop_cli.graphsim.errors import GraphError, invalid_param, nonexisting_field, unsupported_request
from leadloop_cli.graphsim.leads import parse_fields
from leadloop_cli.graphsim.models import REPLACE_OP
from leadloop_cli.graphsim.replace import accept_batch, ensure_custom, ensure_not_busy, is_busy, parse_replace_input
from leadloop_cli.graphsim.response import GraphResponse
from leadloop_cli.graphsim.state import normalize_account_id

if TYPE_CHECKING:
    from collections.abc import Callable

    from leadloop_cli.graphsim.audiences import Payload
    from leadloop_cli.graphsim.core import SimCore
    from leadloop_cli.graphsim.models import Audience, TokenGrant, UploadSession
    from leadloop_cli.graphsim.request import GraphRequest

ADD, REMOVE = "add", "remove"


def is_account_node(node_id: str) -> bool:
    """``act_<digits>`` nodes are ad accounts."""
    return node_id.startswith("act_") and node_id[4:].isdigit()


def _counted(core: SimCore, account_id: str, handler: Callable[[], GraphResponse]) -> GraphResponse:
    """Count the call against the account's custom-audience budget; usage headers on every answer."""
    headers = core.usage.custom_audience_call(account_id)
    try:
        response = handler()
    except GraphError as error:
        error.headers = {**headers, **error.headers}
        raise
    response.headers = {**headers, **response.headers}
    return response


def _effective_method(request: GraphRequest) -> str:
    """``POST`` with ``method=DELETE`` is a DELETE, as on Graph."""
    override = request.param("method")
    if request.method == "POST" and isinstance(override, str) and override.upper() == "DELETE":
        return "DELETE"
    return request.method


# -- ad account edges --------------------------------------------------------------------------------


def account_edge(request: GraphRequest, core: SimCore, grant: TokenGrant, node_id: str, edge: str) -> GraphResponse:
    """``/act_{id}/customaudiences`` and ``/act_{id}/usersofanyaudience``."""
    account_id = normalize_account_id(node_id)
    if not core.state.has_account(account_id):
        raise unsupported_request(request.method, node_id)
    require_account(grant, account_id)
    method = _effective_method(request)
    if edge == "customaudiences" and method == "POST":
        return _counted(core, account_id, lambda: _create(request, core, account_id))
    if edge == "usersofanyaudience" and method == "DELETE":
        return _counted(core, account_id, lambda: _remove_everywhere(request, core, account_id))
    if edge in ("customaudiences", "usersofanyaudience"):
        raise unsupported_request(request.method, f"{node_id}/{edge}")
    raise nonexisting_field(edge, "AdAccount")


def _create(request: GraphRequest, core: SimCore, account_id: str) -> GraphResponse:
    name = request.param("name")
    if not isinstance(name, str) or not name.strip():
        raise invalid_param("(#100) The parameter name is required")
    subtype = request.param("subtype")
    if not isinstance(subtype, str) or subtype.upper() != "CUSTOM":
        raise invalid_param("(#100) param subtype must be CUSTOM for customer file audiences")
    source = request.param("customer_file_source")
    if source is None or source == "":
        # meta-api.md §5.2: customer lists are created with subtype=CUSTOM and customer_file_source.
        raise invalid_param("(#100) The parameter customer_file_source is required for subtype CUSTOM")
    if source not in CUSTOMER_FILE_SOURCES:
        raise invalid_param(f"(#100) param customer_file_source must be one of {{{', '.join(CUSTOMER_FILE_SOURCES)}}}")
    description = request.param("description")
    if description is not None and not isinstance(description, str):
        raise invalid_param("(#100) param description must be a string")
    audience = core.state.add_audience(
        None, account_id, name.strip(), description=description or "", customer_file_source=source
    )
    return GraphResponse(200, {"id": audience.id})


def _remove_everywhere(request: GraphRequest, core: SimCore, account_id: str) -> GraphResponse:
    log = {"op": REMOVE, "rows": _raw_rows(request.param("payload"))}
    try:
        payload = parse_payload(request.param("payload"))
        session = parse_session(request.param("session"))
    except GraphError as error:
        error.log = log
        raise
    state = core.state
    session_id = session.session_id if session is not None else state.new_session_id()
    removed = 0
    with state.lock:
        now = core.clock.now()
        for audience in state.account_audiences(account_id):
            state.settle_audience(audience)
            # flagged audiences cannot be edited; audiences being replaced are skipped too
            if audience.operation_status.get("code") == 471 or is_busy(audience):
                continue
            count = remove_members(audience, payload)
            if count:
                audience.time_updated = now
                removed += count
    received, invalid = state.count_any_session(account_id, session_id, payload.received, payload.invalid)
    body = {
        "account_id": account_id.removeprefix("act_"),
        "session_id": session_id,
        "num_received": received,
        "num_invalid_entries": invalid,
        "invalid_entry_samples": payload.samples,
    }
    return GraphResponse(200, body, rows=payload.received, log={"op": REMOVE})


# -- audience node and edges -------------------------------------------------------------------------


def read_audience(request: GraphRequest, core: SimCore, grant: TokenGrant, audience: Audience) -> GraphResponse:
    """``GET /{audience_id}?fields=...`` (default ``id``)."""
    require_account(grant, audience.account_id)
    fields = parse_fields(request.param("fields"), "CustomAudience", AUDIENCE_FIELDS)

    def answer() -> GraphResponse:
        with core.state.lock:
            core.state.settle_audience(audience)
            values = render_audience(audience)
        selected = {name: values[name] for name in fields if name != "id" and name in values}
        selected["id"] = values["id"]
        return GraphResponse(200, selected)

    return _counted(core, audience.account_id, answer)


def audience_edge(
    request: GraphRequest, core: SimCore, grant: TokenGrant, audience: Audience, edge: str
) -> GraphResponse:
    """``/{audience_id}/users`` (POST add, DELETE or ``method=DELETE`` remove), ``/usersreplace``, ``/sessions``."""
    require_account(grant, audience.account_id)
    method = _effective_method(request)
    if edge == "users" and method in ("POST", "DELETE"):
        op = ADD if method == "POST" else REMOVE
        return _counted(core, audience.account_id, lambda: _users(request, core, audience, op))
    if edge == "usersreplace" and method == "POST":
        return _counted(core, audience.account_id, lambda: _users_replace(request, core, audience))
    if edge == "sessions" and method == "GET":
        return _counted(core, audience.account_id, lambda: _sessions(request, core, audience))
    if edge in ("users", "usersreplace", "sessions"):
        raise unsupported_request(request.method, f"{audience.id}/{edge}")
    raise nonexisting_field(edge, "CustomAudience")


def _raw_rows(raw: object) -> int | None:
    """Best-effort row count of a payload (for the call log, even when it is rejected)."""
    try:
        document = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return None
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        return len(document["data"])
    return None


def _users(request: GraphRequest, core: SimCore, audience: Audience, op: str) -> GraphResponse:
    log: dict[str, Any] = {"op": op, "rows": _raw_rows(request.param("payload"))}
    state = core.state
    try:
        ensure_editable(audience)
        payload = parse_payload(request.param("payload"))
        session = parse_session(request.param("session"))
        new_session_id = state.new_session_id()
        with state.lock:
            state.settle_audience(audience)
            ensure_not_busy(audience)
            if op == ADD:
                ensure_source(audience, payload.sub_type)
                changed = add_members(audience, payload)
            else:
                changed = remove_members(audience, payload)
            now = core.clock.now()
            if changed or op == ADD:
                audience.time_updated = now
            record = record_session(audience, session, payload, new_session_id=new_session_id, op=op, now=now)
            body = _upload_answer(audience, record, payload)
    except GraphError as error:
        error.log = log
        raise
    return GraphResponse(200, body, rows=payload.received, log={"op": op})


def _upload_answer(audience: Audience, record: UploadSession, payload: Payload) -> dict[str, Any]:
    """Meta's answer to an accepted upload batch (counts cumulative for the session)."""
    return {
        "audience_id": audience.id,
        "session_id": record.session_id,
        "num_received": record.num_received,
        "num_invalid_entries": record.num_invalid_entries,
        "invalid_entry_samples": payload.samples,
    }


def _raw_session(raw: object) -> dict[str, Any]:
    """``session_id``/``batch_seq``/``last_batch_flag`` for the call log (empty when unreadable)."""
    try:
        session = parse_session(raw)
    except GraphError:
        return {}
    if session is None:
        return {}
    return {
        "session_id": session.session_id,
        "batch_seq": session.batch_seq,
        "last_batch_flag": session.last_batch_flag,
    }


def _users_replace(request: GraphRequest, core: SimCore, audience: Audience) -> GraphResponse:
    """One batch of a replace: checks like ``/users``, then Meta's replace-session rules (2650)."""
    session_log = _raw_session(request.param("session"))
    log: dict[str, Any] = {"op": REPLACE_OP, "rows": _raw_rows(request.param("payload")), **session_log}
    state, config = core.state, core.config
    try:
        ensure_editable(audience)
        ensure_custom(audience)
        payload, session = parse_replace_input(request.param("payload"), request.param("session"))
        with state.lock:
            record = accept_batch(
                audience,
                session,
                payload,
                now=core.clock.now(),
                window_seconds=config.replace_window_seconds,
                processing_seconds=config.replace_processing_seconds,
            )
            body = {"account_id": audience.account_id.removeprefix("act_")} | _upload_answer(audience, record, payload)
    except GraphError as error:
        error.log = log
        raise
    return GraphResponse(200, body, rows=payload.received, log={"op": REPLACE_OP, **session_log})


def _sessions(request: GraphRequest, core: SimCore, audience: Audience) -> GraphResponse:
    wanted = request.param("session_id")
    with core.state.lock:
        core.state.settle_audience(audience)
        sessions = [s.render() for s in reversed(audience.sessions)]
    if wanted not in (None, ""):
        sessions = [s for s in sessions if s["session_id"] == str(wanted).strip()]
    return GraphResponse(200, {"data": sessions})
