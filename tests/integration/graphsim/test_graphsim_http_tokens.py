"""Tokens over HTTP: debug_token, the token-state hook, dead tokens and missing scopes everywhere."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
import requests

NOW = 1_800_000_000
USER_TOKEN = "EAAB-user-token"
SYSTEM_TOKEN = "EAAB-system-user-token"
DEFAULT_SCOPES = [
    "leads_retrieval",
    "pages_manage_metadata",
    "pages_show_list",
    "pages_read_engagement",
    "ads_management",
    "pages_manage_ads",
]


@pytest.fixture
def frozen(graph):
    assert graph.sim_post("clock", {"set": NOW, "frozen": True}).status_code == 200


def _debug(graph: Any, input_token: str | None, token: str | None = None) -> requests.Response:
    params = {} if input_token is None else {"input_token": input_token}
    return graph.get("debug_token", token=token or graph.sim.app_token(), **params)


def _state(graph: Any, token: str, body: Any) -> requests.Response:
    return graph.sim_post(f"tokens/{quote(token, safe='')}/state", body)


def _error(response: requests.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def _item_bodies(response: requests.Response) -> list[tuple[int, Any]]:
    return [(item["code"], json.loads(item["body"])) for item in response.json()]


def test_debug_token_of_a_healthy_page_token(graph, ids, frozen):
    response = _debug(graph, ids.page_token)

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["app_id"] == ids.app_id and data["application"] == "leadloop simulator app"
    assert (data["type"], data["profile_id"], data["is_valid"], data["expires_at"]) == ("PAGE", ids.page_id, True, 0)
    assert data["data_access_expires_at"] == NOW + 90 * 86_400
    assert data["scopes"] == DEFAULT_SCOPES
    assert {"scope": "leads_retrieval", "target_ids": [ids.page_id]} in data["granular_scopes"]
    assert data["user_id"].isdigit() and "error" not in data


def test_debug_token_types_and_callers(sim, graph, ids):
    sim.add_user_token(USER_TOKEN, page_ids=[ids.page_id])
    assert graph.sim_post("tokens", {"token": SYSTEM_TOKEN, "system_user": True}).status_code == 200

    assert _debug(graph, USER_TOKEN).json()["data"]["type"] == "USER"
    assert _debug(graph, SYSTEM_TOKEN).json()["data"]["type"] == "SYSTEM_USER"
    app = _debug(graph, sim.app_token()).json()["data"]
    assert (app["type"], app["scopes"], app["is_valid"]) == ("APP", [], True)
    # A Page or user token may ask too: about itself, or about another token of the app.
    assert _debug(graph, ids.page_token, token=ids.page_token).json()["data"]["profile_id"] == ids.page_id
    assert _debug(graph, ids.other_page_token, token=USER_TOKEN).json()["data"]["profile_id"] == ids.other_page_id


def test_debug_token_of_garbage_is_200_not_valid(graph):
    response = _debug(graph, "not-a-token")
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "error": {"code": 190, "message": "Invalid OAuth access token - Cannot parse access token"},
            "is_valid": False,
            "scopes": [],
        }
    }


def test_debug_token_keeps_the_callers_rules(sim, graph, ids):
    assert _error(_debug(graph, None))["code"] == 100
    no_proof = graph.session.get(
        f"{graph.base_url}/v25.0/debug_token",
        params={"access_token": sim.app_token(), "input_token": ids.page_token},
        timeout=10,
    )
    assert no_proof.status_code == 400 and _error(no_proof)["type"] == "GraphMethodException"
    unknown_caller = graph.session.get(
        f"{graph.base_url}/v25.0/debug_token",
        params={"access_token": "stranger", "input_token": ids.page_token},
        timeout=10,
    )
    assert unknown_caller.status_code == 400 and _error(unknown_caller)["code"] == 190
    _state(graph, ids.page_token, {"is_valid": False})
    dead_caller = _debug(graph, ids.other_page_token, token=ids.page_token)
    assert (dead_caller.status_code, _error(dead_caller)["error_subcode"]) == (400, 467)
    # the app token can still inspect the dead token
    assert _debug(graph, ids.page_token).json()["data"]["is_valid"] is False


def test_expired_token_fails_every_graph_call_with_190_463(sim, graph, ids, frozen):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    view = _state(graph, ids.page_token, {"expires_at": NOW + 3600})
    assert view.status_code == 200 and view.json()["expires_at"] == NOW + 3600
    assert graph.get(lead_id).status_code == 200  # short-lived but not expired yet
    assert _debug(graph, ids.page_token).json()["data"]["is_valid"] is True

    graph.sim_post("clock", {"advance_seconds": 3600})

    for response in (
        graph.get(lead_id),
        graph.get(f"{ids.form_id}/leads"),
        graph.get(f"{ids.page_id}/subscribed_apps"),
    ):
        assert response.status_code == 400
        error = _error(response)
        assert (error["code"], error["error_subcode"], error["type"]) == (190, 463, "OAuthException")
        assert "Session has expired" in error["message"] and ids.page_token not in error["message"]
    data = _debug(graph, ids.page_token).json()["data"]
    assert data["is_valid"] is False and data["error"]["subcode"] == 463 and data["expires_at"] == NOW + 3600

    # null = never expires again
    assert _state(graph, ids.page_token, {"expires_at": None}).json()["expires_at"] == 0
    assert graph.get(lead_id).status_code == 200


def test_invalid_token_fails_with_190_467_until_revalidated(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    assert _state(graph, ids.page_token, {"is_valid": False}).json()["is_valid"] is False

    response = graph.get(lead_id)
    assert response.status_code == 400 and (_error(response)["code"], _error(response)["error_subcode"]) == (190, 467)
    assert graph.get(lead_id, token=ids.other_page_token).status_code == 403  # other tokens unaffected

    assert _state(graph, ids.page_token, {"is_valid": True}).json()["is_valid"] is True
    assert graph.get(lead_id).status_code == 200


def test_dead_tokens_inside_a_batch(sim, graph, ids):
    sim.add_user_token(USER_TOKEN, page_ids=[ids.page_id])
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    _state(graph, ids.page_token, {"is_valid": False})
    own = f"access_token={ids.page_token}&appsecret_proof={sim.appsecret_proof(ids.page_token)}"
    items = [
        {"method": "GET", "relative_url": f"{lead_id}?{own}"},
        {"method": "GET", "relative_url": lead_id},  # the batch's (healthy) user token
    ]

    response = graph.batch(items, token=USER_TOKEN)

    (dead_code, dead_body), (ok_code, ok_body) = _item_bodies(response)
    assert dead_code == 400 and (dead_body["error"]["code"], dead_body["error"]["error_subcode"]) == (190, 467)
    assert ok_code == 200 and ok_body["id"] == lead_id
    whole = graph.batch(items[1:])  # the batch's own token is dead: the whole batch is refused
    assert whole.status_code == 400 and _error(whole)["code"] == 190


def test_missing_leads_retrieval_refuses_every_lead_read(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    others = [s for s in DEFAULT_SCOPES if s != "leads_retrieval"]
    assert _state(graph, ids.page_token, {"scopes": others}).json()["scopes"] == others

    single, bulk = graph.get(lead_id), graph.get(f"{ids.form_id}/leads")
    ((item_code, item_body),) = _item_bodies(graph.batch([{"method": "GET", "relative_url": lead_id}]))

    for status, error in ((single.status_code, _error(single)), (bulk.status_code, _error(bulk))):
        assert status == 403 and error["code"] == 200
        assert error["message"] == "(#200) Requires leads_retrieval permission to access leads"
    assert item_code == 403 and item_body["error"]["code"] == 200
    assert graph.get(ids.form_id, fields="name").status_code == 200  # the form itself stays readable
    assert graph.get(f"{ids.page_id}/subscribed_apps").status_code == 200
    assert _debug(graph, ids.page_token).json()["data"]["scopes"] == others

    _state(graph, ids.page_token, {"scopes": DEFAULT_SCOPES})
    assert graph.get(lead_id).status_code == 200 and graph.get(f"{ids.form_id}/leads").status_code == 200


def test_subscribed_apps_writes_need_pages_manage_metadata(graph, ids):
    url = f"{graph.base_url}/v25.0/{ids.page_id}/subscribed_apps"
    _state(graph, ids.page_token, {"scopes": ["leads_retrieval", "pages_show_list"]})

    refused = graph.session.post(url, data={**graph.auth(), "subscribed_fields": "leadgen"}, timeout=10)
    removal = graph.session.delete(url, params=graph.auth(), timeout=10)

    assert refused.status_code == 403 and "pages_manage_metadata" in _error(refused)["message"]
    assert removal.status_code == 403 and _error(removal)["code"] == 200
    assert graph.get(f"{ids.page_id}/subscribed_apps").json() == {"data": []}
    _state(graph, ids.page_token, {"scopes": DEFAULT_SCOPES})
    ok = graph.session.post(url, data={**graph.auth(), "subscribed_fields": "leadgen"}, timeout=10)
    assert ok.json() == {"success": True}


def test_app_token_state_can_be_changed_too(sim, graph, ids):
    view = _state(graph, sim.app_token(), {"is_valid": False})
    assert view.status_code == 200 and view.json()["type"] == "APP"
    response = graph.get(f"{ids.app_id}/subscriptions", token=sim.app_token())
    assert (_error(response)["code"], _error(response)["error_subcode"]) == (190, 467)


@pytest.mark.parametrize(
    "body",
    [
        {"is_valid": "nope"},
        {"is_valid": None},
        {"expires_at": -5},
        {"expires_at": "soon"},
        {"scopes": "leads_retrieval"},
        {"scopes": [""]},
        {"something": 1},
    ],
)
def test_token_state_hook_rejects_bad_input(graph, ids, body):
    response = _state(graph, ids.page_token, body)
    assert response.status_code == 400
    assert ids.page_token not in response.text


def test_token_state_hook_unknown_token_is_404_without_echo(graph):
    response = _state(graph, "EAAB-secret-unknown", {"is_valid": False})
    assert response.status_code == 404 and response.json() == {"error": "unknown token"}
    wrong_route = graph.sim_post("tokens/EAAB-secret-unknown/other", {})
    assert wrong_route.status_code == 404 and "EAAB-secret-unknown" not in wrong_route.text


def test_python_api_for_token_state(sim, graph, ids):
    view = sim.set_token_state(ids.page_token, scopes=["pages_show_list"], data_access_expires_at=NOW)
    assert view["scopes"] == ["pages_show_list"] and view["data_access_expires_at"] == NOW
    assert graph.get(f"{ids.form_id}/leads").status_code == 403
    with pytest.raises(KeyError):
        sim.set_token_state("unknown", is_valid=False)
    with pytest.raises(ValueError, match="expires_at"):
        sim.set_token_state(ids.page_token, expires_at=-1)


def test_tokens_never_reach_the_call_log(sim, graph, ids):
    sim.add_user_token(USER_TOKEN, page_ids=[ids.page_id])
    _state(graph, ids.page_token, {"expires_at": 1})
    _debug(graph, ids.page_token)
    _debug(graph, "garbage-input-token")
    graph.get(ids.form_id)  # refused: the token expired in 1970
    graph.batch([{"method": "GET", "relative_url": f"debug_token?input_token={ids.page_token}"}], token=USER_TOKEN)

    calls = graph.sim_get("calls").json()

    assert {call["path"] for call in calls} >= {"/v25.0/debug_token", f"/v25.0/{ids.form_id}"}
    text = json.dumps(calls)
    for secret in (ids.page_token, USER_TOKEN, "garbage-input-token", sim.app_token(), ids.app_secret):
        assert secret not in text


def test_reset_keeps_token_state(sim, graph, ids):
    _state(graph, ids.page_token, {"is_valid": False})
    graph.sim_post("reset", {})
    assert _debug(graph, ids.page_token).json()["data"]["is_valid"] is False
