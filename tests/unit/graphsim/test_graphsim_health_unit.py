"""Health preconditions without HTTP: token life, debug_token views, lead-read gates, expiring audiences."""

from __future__ import annotations

import pytest

from leadloop_cli.graphsim.access import require_lead_read, require_visible, visible_leads
from leadloop_cli.graphsim.audiences import render_audience
from leadloop_cli.graphsim.auth import authenticate
from leadloop_cli.graphsim.clock import VirtualClock
from leadloop_cli.graphsim.config import SimConfig
from leadloop_cli.graphsim.errors import GraphError
from leadloop_cli.graphsim.models import DEFAULT_SCOPES, TokenKind, TokenStatus
from leadloop_cli.graphsim.request import GraphRequest
from leadloop_cli.graphsim.routes.control import redact_path
from leadloop_cli.graphsim.schemas import TokenStateIn
from leadloop_cli.graphsim.state import NINETY_DAYS, SimState
from leadloop_cli.graphsim.tokens import dead_token_error, debug_view

NOW = 1_800_000_000
PAGE, PAGE_TOKEN, FORM = "104", "EAAB-page", "205"


@pytest.fixture
def state() -> SimState:
    sim_state = SimState(SimConfig(app_id="900", app_secret="s3cret"), VirtualClock(NOW, frozen=True))
    sim_state.add_page(PAGE, PAGE_TOKEN)
    sim_state.add_form(FORM, PAGE)
    return sim_state


def _request(token: str) -> GraphRequest:
    return GraphRequest(
        method="GET",
        path="/v25.0/1",
        version="v25.0",
        segments=("1",),
        params={"access_token": token},
        query={},
        base_url="http://sim/",
    )


def test_token_status_defaults_and_expiry_boundary():
    status = TokenStatus()
    assert status.effective_scopes(TokenKind.PAGE) == DEFAULT_SCOPES
    assert status.effective_scopes(TokenKind.APP) == ()
    assert TokenStatus(scopes=()).effective_scopes(TokenKind.USER) == ()
    assert not status.expired(NOW)  # 0 = never
    assert not TokenStatus(expires_at=NOW + 1).expired(NOW)
    assert TokenStatus(expires_at=NOW).expired(NOW)


def test_dead_token_errors_are_190_with_meta_subcodes():
    assert dead_token_error(TokenStatus(), NOW) is None
    invalid = dead_token_error(TokenStatus(is_valid=False, expires_at=NOW - 1), NOW)
    assert invalid is not None and (invalid.code, invalid.subcode, invalid.status) == (190, 467, 400)
    expired = dead_token_error(TokenStatus(expires_at=1_521_892_800), 1_521_894_017)
    assert expired is not None and (expired.code, expired.subcode) == (190, 463)
    assert expired.error_type == "OAuthException"
    assert expired.message == (
        "Error validating access token: Session has expired on Saturday, 24-Mar-18 12:00:00 UTC. "
        "The current time is Saturday, 24-Mar-18 12:20:17 UTC."
    )


def test_authenticate_refuses_dead_tokens_before_the_proof_check(state):
    state.set_token_status(PAGE_TOKEN, TokenStatus(expires_at=NOW))
    with pytest.raises(GraphError) as caught:
        authenticate(_request(PAGE_TOKEN), state)  # no proof sent: 190 still wins
    assert (caught.value.code, caught.value.subcode) == (190, 463)
    assert PAGE_TOKEN not in caught.value.message
    state.set_token_status(PAGE_TOKEN, TokenStatus())
    with pytest.raises(GraphError) as caught:
        authenticate(_request(PAGE_TOKEN), state)
    assert caught.value.code == 100  # alive again: now the missing proof matters


def test_set_token_status_needs_a_known_token(state):
    with pytest.raises(KeyError):
        state.set_token_status("nobody", TokenStatus())
    state.token_status(PAGE_TOKEN).is_valid = False  # a copy: the stored status is unchanged
    assert state.token_status(PAGE_TOKEN).is_valid


def test_debug_view_per_token_kind(state):
    state.add_ad_account("act_77", token="EAAB-system")
    state.add_user_token("EAAB-system", page_ids=[PAGE], account_ids=["77"], system_user=True)
    state.add_user_token("EAAB-user")

    page = debug_view(state, PAGE_TOKEN)
    system = debug_view(state, "EAAB-system")
    user = debug_view(state, "EAAB-user")
    app = debug_view(state, state.app_token())

    assert page is not None and system is not None and user is not None and app is not None
    assert (page["type"], page["profile_id"], page["is_valid"], page["expires_at"]) == ("PAGE", PAGE, True, 0)
    assert page["data_access_expires_at"] == NOW + NINETY_DAYS and page["scopes"] == list(DEFAULT_SCOPES)
    assert {"scope": "leads_retrieval", "target_ids": [PAGE]} in page["granular_scopes"]
    assert {"scope": "ads_management"} in page["granular_scopes"]  # the Page token has no ad account
    assert system["type"] == "SYSTEM_USER" and system["data_access_expires_at"] == 0
    assert {"scope": "ads_management", "target_ids": ["77"]} in system["granular_scopes"]
    assert "profile_id" not in system and system["user_id"].isdigit()
    assert user["type"] == "USER" and user["user_id"] != system["user_id"]
    assert app["type"] == "APP" and app["scopes"] == [] and "user_id" not in app
    assert debug_view(state, "garbage") is None
    for view in (page, system, user, app):
        assert "error" not in view and view["app_id"] == "900"
        assert PAGE_TOKEN not in str(view) and "EAAB-system" not in str(view)


def test_debug_view_of_a_dead_token_carries_the_error(state):
    state.set_token_status(PAGE_TOKEN, TokenStatus(is_valid=False, scopes=("pages_show_list",)))
    view = debug_view(state, PAGE_TOKEN)
    assert view is not None and view["is_valid"] is False
    assert view["error"]["code"] == 190 and view["error"]["subcode"] == 467
    assert view["scopes"] == ["pages_show_list"]


def test_lead_read_gates_in_order(state):
    grant = state.grant(PAGE_TOKEN)
    assert grant is not None
    require_lead_read(state, grant, PAGE)  # healthy: nothing raised

    state.set_leads_access(PAGE, granted=False)
    with pytest.raises(GraphError) as caught:
        require_lead_read(state, grant, PAGE)
    assert (caught.value.code, caught.value.status) == (200, 403) and "Leads Access" in caught.value.message

    state.set_token_status(PAGE_TOKEN, TokenStatus(scopes=("pages_show_list",)))
    scoped = state.grant(PAGE_TOKEN)
    assert scoped is not None
    with pytest.raises(GraphError) as caught:
        require_lead_read(state, scoped, PAGE)  # the missing scope is reported before Leads Access
    assert caught.value.code == 200 and "leads_retrieval" in caught.value.message

    with pytest.raises(KeyError):
        state.set_leads_access("nope", granted=True)


def test_development_mode_hides_leads_not_by_app_roles(state):
    stranger = state.create_lead(page_id=PAGE, form_id=FORM, field_data=[])
    tester = state.create_lead(page_id=PAGE, form_id=FORM, field_data=[], by_app_role=True)
    require_visible(state, stranger)
    assert visible_leads(state, [stranger, tester]) == [stranger, tester]

    state.set_app_mode("development")
    with pytest.raises(GraphError) as caught:
        require_visible(state, stranger)
    assert (caught.value.code, caught.value.status) == (10, 403)
    require_visible(state, tester)
    assert visible_leads(state, [stranger, tester]) == [tester]


def test_expiring_status_schedules_delete_time_once(state):
    state.add_ad_account("act_1")
    audience = state.add_audience("238", "act_1")
    assert render_audience(audience)["delete_time"] == 0

    state.set_audience_status("238", 100, "Expiring")
    assert render_audience(audience)["delete_time"] == NOW + NINETY_DAYS
    state.clock.advance(3600)
    state.set_audience_status("238", 100, "Still expiring")
    assert render_audience(audience)["delete_time"] == NOW + NINETY_DAYS  # kept
    state.set_audience_status("238", 200, "Normal")
    assert render_audience(audience)["delete_time"] == 0
    state.set_audience_status("238", 100, "Expiring again")
    assert render_audience(audience)["delete_time"] == NOW + 3600 + NINETY_DAYS


def test_token_state_input_rules():
    assert TokenStateIn.model_validate({"expires_at": None}).model_fields_set == {"expires_at"}
    assert TokenStateIn.model_validate({}).model_fields_set == set()
    for bad in (
        {"is_valid": None},
        {"is_valid": "false"},
        {"scopes": None},
        {"scopes": ["leads_retrieval", ""]},
        {"scopes": ["two words"]},
        {"expires_at": -1},
        {"token": "x"},
    ):
        with pytest.raises(ValueError):
            TokenStateIn.model_validate(bad)


def test_token_paths_are_masked():
    assert redact_path("/_sim/tokens/EAAB-secret/state") == "/_sim/tokens/***"
    assert redact_path("/_sim/tokens/a/b/c") == "/_sim/tokens/***"
    assert redact_path("/_sim/pages/1/leads_access") == "/_sim/pages/1/leads_access"
