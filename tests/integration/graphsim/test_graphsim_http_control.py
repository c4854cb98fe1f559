"""The /_sim/ control API: validation, clock, calls log hygiene, audiences, objects, reset."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"form_id": "205000000000001", "field_data": []}, "page_id"),
        ({"page_id": "104000000000001", "form_id": "999", "field_data": []}, "unknown form_id"),
        ({"page_id": "104000000000002", "form_id": "205000000000001", "field_data": []}, "belongs to page"),
        ({"page_id": "104000000000001", "form_id": "205000000000001", "field_data": [{"name": "e"}]}, "values"),
        (
            {"page_id": "104000000000001", "form_id": "205000000000001", "field_data": [{"name": "e", "values": [1]}]},
            "string",
        ),
        (
            {"page_id": "104000000000001", "form_id": "205000000000001", "field_data": [], "created_time": "soon"},
            "created_time",
        ),
        ({"page_id": "104000000000001", "form_id": "205000000000001", "field_data": [], "extra": 1}, "extra"),
    ],
)
def test_post_lead_validation(graph, body, fragment):
    response = graph.sim_post("leads", body)
    assert response.status_code == 400
    assert fragment in response.json()["error"]


def test_post_lead_rejects_non_json(graph):
    response = graph.session.post(f"{graph.base_url}/_sim/leads", data="{not json", timeout=5)
    assert response.status_code == 400
    assert "JSON" in response.json()["error"]
    assert graph.session.post(f"{graph.base_url}/_sim/leads", json=[1], timeout=5).status_code == 400


def test_post_lead_accepts_iso_time_numbers_and_disclaimers(graph, ids):
    response = graph.sim_post(
        "leads",
        {
            "page_id": int(ids.page_id),
            "form_id": ids.form_id,
            "field_data": ids.answers(),
            "created_time": "2026-11-24T10:00:00+0000",
            "custom_disclaimer_responses": [{"checkbox_key": "optin", "is_checked": True}],
        },
    )
    lead_id = response.json()["id"]
    body = graph.get(lead_id, fields="created_time,custom_disclaimer_responses").json()
    assert body["created_time"] == "2026-11-24T10:00:00+0000"
    assert body["custom_disclaimer_responses"] == [{"checkbox_key": "optin", "is_checked": "1"}]


def test_lead_ids_are_unique_big_numeric_strings(sim, ids):
    lead_ids = {sim.create_lead(ids.page_id, ids.form_id, []) for _ in range(200)}
    assert len(lead_ids) == 200
    assert all(i.isdigit() and 2**53 < int(i) < 2**63 for i in lead_ids)


def test_clock_moves_and_stamps_new_leads(sim, graph, ids):
    before = graph.sim_get("clock").json()["now"]
    now = graph.sim_post("clock", {"advance_seconds": 3600}).json()["now"]
    assert now - before >= 3600 and sim.now() >= now
    lead_id = sim.create_lead(ids.page_id, ids.form_id, [])
    (lead,) = graph.sim_get("leads", form_id=ids.form_id).json()["data"]
    assert lead["id"] == lead_id
    frozen = graph.sim_post("clock", {"set": 1_800_000_000, "frozen": True}).json()
    assert frozen == {"now": 1_800_000_000, "time": 1_800_000_000.0, "frozen": True}
    assert graph.sim_post("clock", {"advance_seconds": "soon"}).status_code == 400
    assert graph.sim_post("clock", {"advance_seconds": 1e308}).status_code == 400
    assert graph.sim_get("clock").json()["now"] == 1_800_000_000


def test_calls_log_never_holds_secrets(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    graph.get(lead_id)
    graph.batch([{"method": "GET", "relative_url": f"{lead_id}?access_token={ids.other_page_token}"}])
    graph.get(f"{ids.app_id}/subscriptions", token=sim.app_token())

    text = graph.sim_get("calls").text

    for secret in (ids.page_token, ids.other_page_token, ids.app_secret, sim.appsecret_proof(ids.page_token)):
        assert secret not in text
    assert "lead@example.com" not in text
    assert graph.session.delete(f"{graph.base_url}/_sim/calls", timeout=5).status_code == 200
    assert graph.sim_get("calls").json() == []


def test_audiences(sim, graph, ids):
    # An explicit token: only it may manage the account (without one, every known token may).
    assert sim.add_ad_account("123456", token="system-user") == "act_123456"
    sim.add_audience("238000000000001", "act_123456", name="Leads")
    sim.add_user_token("system-user", page_ids=[])

    view = graph.sim_get("audiences/238000000000001").json()
    graph_view = graph.get("238000000000001", token="system-user", fields="name,operation_status").json()

    assert view["members"] == [] and view["sessions"] == []
    assert view["operation_status"] == {"code": 200, "description": "Normal"}
    assert graph_view == {
        "name": "Leads",
        "operation_status": {"code": 200, "description": "Normal"},
        "id": "238000000000001",
    }
    assert graph.get("238000000000001").status_code == 403  # a Page token has no ad account access
    assert graph.sim_get("audiences/404").status_code == 404


def test_objects_can_be_added_over_http(graph, ids):
    assert graph.sim_post("pages", {"page_id": "555", "access_token": "tok-555"}).status_code == 200
    assert graph.sim_post("forms", {"form_id": "556", "page_id": "555"}).status_code == 200
    assert graph.sim_post("forms", {"form_id": "557", "page_id": "nope"}).status_code == 400
    assert graph.sim_post("ad_accounts", {"account_id": "act_x"}).status_code == 400
    lead_id = graph.sim_post("leads", {"page_id": "555", "form_id": "556", "field_data": []}).json()["id"]
    assert graph.get(lead_id, token="tok-555").status_code == 200


def test_config_roundtrip_hides_secret(graph, ids):
    config = graph.sim_post("config", {"webhook_retry_delays": [0, 1], "app_hourly_budget": 10}).json()
    assert config["webhook_retry_delays"] == [0, 1] and config["app_hourly_budget"] == 10
    assert ids.app_secret not in json.dumps(config)
    assert graph.sim_post("config", {"webhook_retry_delays": []}).status_code == 400
    assert graph.sim_post("config", {"leadgen_budgets": {"x": -1}}).status_code == 400


def test_app_usage_header_tracks_calls(sim, graph, ids):
    graph.sim_post("config", {"app_hourly_budget": 10})
    lead_id = sim.create_lead(ids.page_id, ids.form_id, [])
    graph.get(lead_id)
    usage = json.loads(graph.get(lead_id).headers["X-App-Usage"])
    assert usage == {"call_count": 20, "total_cputime": 20, "total_time": 20}


def test_unknown_routes_and_methods(graph):
    assert graph.sim_get("nothing").status_code == 404
    assert graph.session.put(f"{graph.base_url}/_sim/leads", timeout=5).status_code == 405
    response = graph.session.post(f"{graph.base_url}/v25.0/123/explode", data=graph.auth(), timeout=5)
    assert response.status_code == 400 and response.json()["error"]["code"] == 100


def test_reset_keeps_objects_but_forgets_leads(sim, graph, ids):
    sim.create_lead(ids.page_id, ids.form_id, [])
    graph.sim_post("faults", {"path": "x", "status": 500})
    assert graph.sim_post("reset", {}).json() == {"success": True}
    assert graph.sim_get("leads", form_id=ids.form_id).json()["data"] == []
    assert graph.sim_get("faults").json() == []
    assert sim.create_lead(ids.page_id, ids.form_id, [])


def test_python_api_validation(sim, ids):
    with pytest.raises(ValueError, match="field_data"):
        sim.create_lead(ids.page_id, ids.form_id, [{"name": "x", "values": "not-a-list"}])
    with pytest.raises(ValueError, match="unknown"):
        sim.add_form("1", "no-such-page")
    with pytest.raises(ValueError):
        sim.configure(webhook_timeout=-1)
