"""The batch endpoint: order, per-item errors and tokens, the 50 cap, null items, headers."""

from __future__ import annotations

import json
from typing import Any

import requests


def _bodies(response: requests.Response) -> list[Any]:
    return [None if item is None else json.loads(item["body"]) for item in response.json()]


def test_batch_answers_in_order_with_per_item_errors(sim, graph, ids):
    # Given two leads and one unknown id
    first = sim.create_lead(ids.page_id, ids.form_id, ids.answers("a@example.com"))
    second = sim.create_lead(ids.page_id, ids.form_id, ids.answers("b@example.com"))
    items = [
        {"method": "GET", "relative_url": f"{second}?fields=id,field_data"},
        {"method": "GET", "relative_url": "/111111111111111111?fields=id"},
        {"method": "GET", "relative_url": f"/v25.0/{first}?fields=id"},
    ]

    # When batching them
    response = graph.batch(items)

    # Then results keep request order and only the bad item failed
    assert response.status_code == 200
    results = response.json()
    assert [item["code"] for item in results] == [200, 400, 200]
    bodies = _bodies(response)
    assert bodies[0]["id"] == second and bodies[0]["field_data"][0]["values"] == ["b@example.com"]
    assert bodies[1]["error"]["code"] == 100 and bodies[1]["error"]["error_subcode"] == 33
    assert bodies[2] == {"id": first}
    header_names = {h["name"] for h in results[0]["headers"]}
    assert {"X-App-Usage", "X-Business-Use-Case-Usage", "Content-Type"} <= header_names


def test_batch_without_headers(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    response = graph.batch([{"method": "GET", "relative_url": lead_id}], include_headers="false")
    assert set(response.json()[0]) == {"code", "body"}


def test_batch_over_50_is_rejected(graph):
    items = [{"method": "GET", "relative_url": "1"}] * 51
    response = graph.batch(items)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100
    assert error["message"] == "Too many requests in batch message. Maximum batch size is 50"


def test_batch_of_50_is_fine(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    response = graph.batch([{"method": "GET", "relative_url": f"{lead_id}?fields=id"}] * 50)
    assert [item["code"] for item in response.json()] == [200] * 50


def test_batch_needs_a_valid_top_level_token(graph, ids):
    response = requests.post(
        f"{graph.base_url}/v25.0/",
        data={"batch": json.dumps([{"method": "GET", "relative_url": "1"}])},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == 190


def test_item_token_overrides_top_level(sim, graph, ids):
    # Given a lead on the other Page; the batch's token is the first Page's
    other = sim.create_lead(ids.other_page_id, ids.other_form_id, ids.answers())
    proof = sim.appsecret_proof(ids.other_page_token)
    items = [
        {"method": "GET", "relative_url": other},
        {
            "method": "GET",
            "relative_url": f"{other}?access_token={ids.other_page_token}&appsecret_proof={proof}",
        },
        {"method": "GET", "relative_url": f"{other}?access_token={ids.other_page_token}"},
    ]

    codes = [item["code"] for item in graph.batch(items).json()]

    # Then the fallback token is refused, the item's own token works, and needs its own proof
    assert codes == [403, 200, 400]


def test_batch_null_fault_marks_item_unfinished(sim, graph, ids):
    leads = [sim.create_lead(ids.page_id, ids.form_id, ids.answers()) for _ in range(3)]
    graph.sim_post("faults", {"path": f"/{leads[1]}$", "batch_null": True, "times": 1})

    first = graph.batch([{"method": "GET", "relative_url": lead} for lead in leads]).json()
    again = graph.batch([{"method": "GET", "relative_url": leads[1]}]).json()

    assert first[0]["code"] == 200 and first[1] is None and first[2]["code"] == 200
    assert again[0]["code"] == 200


def test_faults_apply_per_item_with_or_without_version(sim, graph, ids):
    leads = [sim.create_lead(ids.page_id, ids.form_id, ids.answers()) for _ in range(2)]
    graph.sim_post("faults", {"path": rf"^/v\d+\.\d+/{leads[0]}$", "error": {"code": 2}})

    items = [
        {"method": "GET", "relative_url": leads[0]},
        {"method": "GET", "relative_url": f"/v25.0/{leads[0]}"},
        {"method": "GET", "relative_url": leads[1]},
    ]
    results = graph.batch(items).json()

    assert [item["code"] for item in results] == [500, 500, 200]
    assert json.loads(results[0]["body"])["error"]["is_transient"] is True


def test_batch_in_json_body_and_malformed_items(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    response = requests.post(
        f"{graph.base_url}/v25.0/",
        json={**graph.auth(), "batch": [{"method": "GET", "relative_url": lead_id}, {"method": "GET"}]},
        timeout=10,
    )
    results = response.json()
    assert results[0]["code"] == 200
    assert results[1]["code"] == 400


def test_calls_log_lists_batch_and_items(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    graph.batch([{"method": "GET", "relative_url": lead_id}, {"method": "GET", "relative_url": "42"}])

    calls = graph.sim_get("calls").json()

    batch = next(call for call in calls if call.get("batch_size"))
    assert batch["path"] == "/v25.0/" and batch["status"] == 200 and batch["batch_size"] == 2
    assert batch["item_paths"] == [f"/v25.0/{lead_id}", "/v25.0/42"]
    items = [call for call in calls if call.get("batch_parent") == batch["seq"]]
    assert [(c["batch_index"], c["status"]) for c in items] == [(0, 200), (1, 400)]
    assert items[1]["error_code"] == 100
