"""Faults: error shapes and statuses, times, probability, latency, body and header overrides."""

from __future__ import annotations

import time
from typing import Any


def _codes(graph: Any, path: str, count: int) -> list[int]:
    return [graph.get(path).status_code for _ in range(count)]


def test_error_fault_is_meta_shaped(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    fault = {"path": lead_id, "error": {"code": 190, "error_subcode": 463, "message": "Session has expired"}}
    graph.sim_post("faults", fault)

    response = graph.get(lead_id)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 190 and error["error_subcode"] == 463
    assert error["message"] == "Session has expired" and error["type"] == "OAuthException"
    assert error["fbtrace_id"]
    assert "X-App-Usage" in response.headers


def test_fault_times_then_normal(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    graph.sim_post("faults", {"path": lead_id, "status": 503, "times": 2})
    assert _codes(graph, lead_id, 3) == [503, 503, 200]


def test_status_only_fault_maps_to_graph_code(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    graph.sim_post("faults", {"path": lead_id, "status": 500, "times": 1})
    error = graph.get(lead_id).json()["error"]
    assert error["code"] == 1 and error["is_transient"] is True


def test_method_filter(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    graph.sim_post("faults", {"path": lead_id, "method": "POST", "status": 500})
    assert graph.get(lead_id).status_code == 200


def test_probability_is_reproducible(sim, graph, ids):
    def run() -> list[int]:
        graph.sim_post("reset", {})
        graph.sim_post("config", {"seed": 7})
        lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
        graph.sim_post("faults", {"path": r"^/v25\.0/\d+$", "status": 500, "probability": 0.5})
        return _codes(graph, lead_id, 20)

    first, second = run(), run()

    assert first == second
    assert 500 in first and 200 in first


def test_latency_only_fault_delays_then_serves(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    graph.sim_post("faults", {"path": lead_id, "latency_ms": 300, "times": 1})

    started = time.monotonic()
    response = graph.get(lead_id)
    elapsed = time.monotonic() - started

    assert response.status_code == 200 and response.json()["id"] == lead_id
    assert elapsed >= 0.29


def test_body_override_and_headers(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    graph.sim_post(
        "faults",
        {"path": lead_id, "body": {"surprise": [1, 2]}, "status": 202, "headers": {"X-Extra": "yes"}},
    )
    response = graph.get(lead_id)
    assert response.status_code == 202
    assert response.json() == {"surprise": [1, 2]}
    assert response.headers["X-Extra"] == "yes"


def test_headers_only_fault_overrides_usage_header(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    usage = '{"call_count":97,"total_cputime":10,"total_time":12}'
    graph.sim_post("faults", {"path": lead_id, "headers": {"X-App-Usage": usage}})
    response = graph.get(lead_id)
    assert response.status_code == 200 and response.json()["id"] == lead_id
    assert response.headers["X-App-Usage"] == usage


def test_delete_one_and_all_faults(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    first = graph.sim_post("faults", {"path": lead_id, "status": 500}).json()["id"]
    graph.sim_post("faults", {"path": "leads", "status": 500})

    assert graph.session.delete(f"{graph.base_url}/_sim/faults/{first}", timeout=5).status_code == 200
    assert graph.get(lead_id).status_code == 200
    assert graph.get(f"{ids.form_id}/leads").status_code == 500

    graph.session.delete(f"{graph.base_url}/_sim/faults", timeout=5)
    assert graph.get(f"{ids.form_id}/leads").status_code == 200
    assert graph.session.delete(f"{graph.base_url}/_sim/faults/nope", timeout=5).status_code == 404


def test_bad_fault_input_is_400(graph):
    bad_bodies = (
        {"status": 500},
        {"path": "(unclosed"},
        {"path": "x", "times": 0},
        {"path": "x", "bogus": 1},
        {"path": "x", "headers": {"Bad\nName": "v"}},
        {"path": "x", "headers": {"X-A": 1}},
    )
    for body in bad_bodies:
        response = graph.sim_post("faults", body)
        assert response.status_code == 400
        assert response.json()["error"]
