"""Silent-lead-loss preconditions over HTTP: Leads Access, app mode, Page installs, expiring audiences."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

NOW = 1_800_000_000
NINETY_DAYS = 90 * 86_400
ACCOUNT = "act_700000000000009"


def _error(response: requests.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def _lead(graph: Any, ids: Any, **extra: Any) -> str:
    body = {"page_id": ids.page_id, "form_id": ids.form_id, "field_data": ids.answers(), **extra}
    response = graph.sim_post("leads", body)
    assert response.status_code == 200, response.text
    lead_id: str = response.json()["id"]
    return lead_id


def _ids_of(response: requests.Response) -> list[str]:
    return [lead["id"] for lead in response.json()["data"]]


# -- Leads Access ----------------------------------------------------------------------------------


def test_revoked_leads_access_refuses_lead_reads_with_every_scope(sim, graph, ids):
    lead_id = _lead(graph, ids)
    other_lead = sim.create_lead(ids.other_page_id, ids.other_form_id, ids.answers())
    assert graph.get(lead_id).status_code == 200

    revoked = graph.sim_post(f"pages/{ids.page_id}/leads_access", {"granted": False})

    assert revoked.status_code == 200 and revoked.json() == {"id": ids.page_id, "granted": False}
    single, bulk = graph.get(lead_id), graph.get(f"{ids.form_id}/leads")
    (item,) = graph.batch([{"method": "GET", "relative_url": lead_id}]).json()
    for response in (single, bulk):
        assert response.status_code == 403
        error = _error(response)
        assert error["code"] == 200 and "Leads Access" in error["message"]
    assert item["code"] == 403 and json.loads(item["body"])["error"]["code"] == 200
    # the token still holds every scope, and other Pages are untouched
    scopes = graph.get("debug_token", token=sim.app_token(), input_token=ids.page_token).json()["data"]["scopes"]
    assert "leads_retrieval" in scopes
    assert graph.get(other_lead, token=ids.other_page_token).status_code == 200

    assert graph.sim_post(f"pages/{ids.page_id}/leads_access", {"granted": True}).json()["granted"] is True
    assert graph.get(lead_id).status_code == 200
    assert _ids_of(graph.get(f"{ids.form_id}/leads")) == [lead_id]


def test_refused_lead_reads_do_not_use_the_leadgen_budget(sim, graph, ids):
    lead_id = _lead(graph, ids)
    sim.set_leadgen_budget(ids.page_id, 1)
    sim.set_leads_access(ids.page_id, granted=False)
    for _ in range(3):
        assert graph.get(lead_id).status_code == 403
    sim.set_leads_access(ids.page_id, granted=True)
    assert graph.get(lead_id).status_code == 200
    assert _error(graph.get(lead_id))["code"] == 80005


def test_webhooks_still_flow_without_leads_access(sim, graph, ids, receiver):
    sim.subscribe(receiver.url, ids.verify_token)
    sim.set_leads_access(ids.page_id, granted=False)

    lead_id = _lead(graph, ids, deliver=True)

    (post,) = receiver.wait_posts(1)
    change = json.loads(post.body)["entry"][0]["changes"][0]["value"]
    assert str(change["leadgen_id"]) == lead_id
    assert graph.get(lead_id).status_code == 403  # notified, yet unreadable: the silent loss


@pytest.mark.parametrize(("page", "body", "status"), [("404", {"granted": False}, 404), (None, {"granted": "no"}, 400)])
def test_leads_access_hook_validation(graph, ids, page, body, status):
    assert graph.sim_post(f"pages/{page or ids.page_id}/leads_access", body).status_code == status
    assert graph.sim_post(f"pages/{ids.page_id}/leads_access", {}).status_code == 400
    with pytest.raises(KeyError):
        graph.sim.set_leads_access("404", granted=False)


# -- app mode --------------------------------------------------------------------------------------


def test_development_mode_shows_only_leads_by_app_roles(sim, graph, ids):
    tester_old = _lead(graph, ids, by_app_role=True, created_time=NOW - 30)
    stranger = _lead(graph, ids, created_time=NOW - 20)
    tester_new = sim.create_lead(ids.page_id, ids.form_id, ids.answers(), created_time=NOW - 10, by_app_role=True)
    assert _ids_of(graph.get(f"{ids.form_id}/leads")) == [tester_new, stranger, tester_old]

    answer = graph.sim_post("app", {"mode": "development"})

    assert answer.json() == {"id": ids.app_id, "name": "leadloop simulator app", "mode": "development"}
    refused = graph.get(stranger)
    assert refused.status_code == 403 and _error(refused)["code"] == 10
    assert graph.get(tester_new).status_code == 200
    first = graph.get(f"{ids.form_id}/leads", limit=1)
    assert _ids_of(first) == [tester_new] and "next" in first.json()["paging"]
    second = graph.session.get(first.json()["paging"]["next"], timeout=10)
    assert _ids_of(second) == [tester_old] and "next" not in second.json()["paging"]
    items = [{"method": "GET", "relative_url": lead} for lead in (stranger, tester_old)]
    assert [item["code"] for item in graph.batch(items).json()] == [403, 200]
    roles = {lead["id"]: lead["by_app_role"] for lead in graph.sim_get("leads", form_id=ids.form_id).json()["data"]}
    assert roles == {tester_old: True, stranger: False, tester_new: True}

    sim.set_app_mode("live")
    assert graph.sim_get("app").json()["mode"] == "live" and sim.app()["mode"] == "live"
    assert graph.get(stranger).status_code == 200
    assert len(_ids_of(graph.get(f"{ids.form_id}/leads"))) == 3


def test_app_node_answers_name_but_no_mode(sim, graph, ids):
    sim.set_app_mode("development")
    body = graph.get(ids.app_id, fields="id,name").json()
    assert body == {"id": ids.app_id, "name": "leadloop simulator app"}
    assert graph.get(ids.app_id, token=sim.app_token()).json() == {"id": ids.app_id}
    unknown = graph.get(ids.app_id, fields="mode")
    assert unknown.status_code == 400 and _error(unknown)["code"] == 100


def test_app_mode_hook_validation(sim, graph):
    assert graph.sim_post("app", {"mode": "sandbox"}).status_code == 400
    assert graph.sim_post("app", {}).status_code == 400
    assert graph.sim_get("app").json()["mode"] == "live"
    with pytest.raises(ValueError, match="mode"):
        sim.set_app_mode("sandbox")
    bad_lead = graph.sim_post(
        "leads", {"page_id": "104000000000001", "form_id": "205000000000001", "field_data": [], "by_app_role": "x"}
    )
    assert bad_lead.status_code == 400


# -- the app's install on a Page ---------------------------------------------------------------------


def test_subscribed_apps_hook_sets_what_graph_shows(sim, graph, ids):
    path = f"{ids.page_id}/subscribed_apps"
    assert graph.get(path).json() == {"data": []}

    installed = graph.sim_post(f"pages/{path}", {"subscribed_fields": ["leadgen", "feed", "leadgen"]})

    assert installed.json() == {"id": ids.page_id, "subscribed_fields": ["leadgen", "feed"]}
    (app,) = graph.get(path).json()["data"]
    assert app == {"name": "leadloop simulator app", "id": ids.app_id, "subscribed_fields": ["leadgen", "feed"]}
    graph.sim_post(f"pages/{path}", {"subscribed_fields": ["feed"]})
    assert graph.get(path).json()["data"][0]["subscribed_fields"] == ["feed"]  # installed, but no leadgen
    graph.sim_post(f"pages/{path}", {"subscribed_fields": []})
    assert graph.get(path).json() == {"data": []}
    sim.set_page_subscribed_fields(ids.page_id, ["leadgen"])
    assert graph.get(path).json()["data"][0]["subscribed_fields"] == ["leadgen"]


def test_dropped_leadgen_install_stops_deliveries_when_required(sim, graph, ids, receiver):
    sim.subscribe(receiver.url, ids.verify_token)
    sim.configure(require_page_subscription=True)
    sim.set_page_subscribed_fields(ids.page_id, ["leadgen"])
    assert graph.sim_post("leads", {**_body(ids), "deliver": True}).status_code == 200

    graph.sim_post(f"pages/{ids.page_id}/subscribed_apps", {"subscribed_fields": ["feed"]})

    refused = graph.sim_post("leads", {**_body(ids), "deliver": True})
    assert refused.status_code == 400 and "subscribed_apps" in refused.json()["error"]
    # the Graph DELETE drops the install as well
    sim.set_page_subscribed_fields(ids.page_id, ["leadgen"])
    url = f"{graph.base_url}/v25.0/{ids.page_id}/subscribed_apps"
    assert graph.session.delete(url, params=graph.auth(), timeout=10).json() == {"success": True}
    assert graph.get(f"{ids.page_id}/subscribed_apps").json() == {"data": []}


def _body(ids: Any) -> dict[str, Any]:
    return {"page_id": ids.page_id, "form_id": ids.form_id, "field_data": ids.answers()}


@pytest.mark.parametrize(
    ("page", "body", "status"),
    [
        ("404", {"subscribed_fields": ["leadgen"]}, 404),
        (None, {"subscribed_fields": "leadgen"}, 400),
        (None, {"subscribed_fields": [""]}, 400),
        (None, {}, 400),
    ],
)
def test_subscribed_apps_hook_validation(graph, ids, page, body, status):
    assert graph.sim_post(f"pages/{page or ids.page_id}/subscribed_apps", body).status_code == status
    assert graph.get(f"{ids.page_id}/subscribed_apps").json() == {"data": []}  # nothing changed


def test_subscribed_fields_python_validation(sim, ids):
    with pytest.raises(ValueError):
        sim.set_page_subscribed_fields(ids.page_id, "leadgen")
    with pytest.raises(ValueError):
        sim.set_page_subscribed_fields(ids.page_id, ["lead gen"])
    with pytest.raises(KeyError):
        sim.set_page_subscribed_fields("404", [])


# -- audiences: expiring and flagged -------------------------------------------------------------------


def test_expiring_audience_shows_delete_time(sim, graph, ids):
    graph.sim_post("clock", {"set": NOW, "frozen": True})
    sim.add_ad_account(ACCOUNT)
    audience_id = sim.add_audience(None, ACCOUNT, name="Old leads")
    fields = "operation_status,delete_time"
    assert graph.get(audience_id, fields=fields).json()["delete_time"] == 0

    status = graph.sim_post(f"audiences/{audience_id}/status", {"code": 100, "description": "Expiring"})

    assert status.json() == {
        "id": audience_id,
        "operation_status": {"code": 100, "description": "Expiring"},
        "delete_time": NOW + NINETY_DAYS,
    }
    body = graph.get(audience_id, fields=fields).json()
    assert body == {
        "operation_status": {"code": 100, "description": "Expiring"},
        "delete_time": NOW + NINETY_DAYS,
        "id": audience_id,
    }
    assert graph.sim_get(f"audiences/{audience_id}").json()["delete_time"] == NOW + NINETY_DAYS

    sim.set_audience_status(audience_id, 200, "Normal")
    assert graph.get(audience_id, fields=fields).json()["delete_time"] == 0


def test_flagged_audience_has_no_delete_time(sim, graph):
    sim.add_ad_account(ACCOUNT)
    audience_id = sim.add_audience(None, ACCOUNT)
    graph.sim_post(f"audiences/{audience_id}/status", {"code": 471, "description": "Flagged"})
    body = graph.get(audience_id, fields="operation_status,delete_time,fields_violating_integrity_policy").json()
    assert body["operation_status"]["code"] == 471 and body["delete_time"] == 0
    assert body["fields_violating_integrity_policy"] == ["name"]


def test_reset_keeps_health_switches(sim, graph, ids):
    sim.set_leads_access(ids.page_id, granted=False)
    sim.set_app_mode("development")
    sim.set_page_subscribed_fields(ids.page_id, ["feed"])
    graph.sim_post("reset", {})
    lead_id = _lead(graph, ids, by_app_role=True)
    assert _error(graph.get(lead_id))["code"] == 200
    assert graph.sim_get("app").json()["mode"] == "development"
    assert graph.get(f"{ids.page_id}/subscribed_apps").json()["data"][0]["subscribed_fields"] == ["feed"]
