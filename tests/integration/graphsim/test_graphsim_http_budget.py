"""The per-Page leadgen budget: 80005 with the BUC header, rolling 24 h of the virtual clock."""

from __future__ import annotations

import json
from typing import Any

import requests


def _buc(response: requests.Response, page_id: str) -> dict[str, Any]:
    usage: dict[str, Any] = json.loads(response.headers["X-Business-Use-Case-Usage"])[page_id][0]
    return usage


def test_over_budget_is_80005_until_the_window_rolls(sim, graph, ids):
    # Given a budget of 3 lead reads for the Page
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    sim.set_leadgen_budget(ids.page_id, 3)

    # When reading 4 times (single reads and edge pages both count)
    responses = [graph.get(lead_id), graph.get(f"{ids.form_id}/leads"), graph.get(lead_id), graph.get(lead_id)]

    # Then the 4th is refused with Meta's leadgen throttle and a wait estimate
    assert [r.status_code for r in responses] == [200, 200, 200, 400]
    assert _buc(responses[2], ids.page_id)["call_count"] == 100
    error = responses[3].json()["error"]
    assert error["code"] == 80005 and error["type"] == "OAuthException" and error["is_transient"] is True
    usage = _buc(responses[3], ids.page_id)
    assert usage["type"] == "leadgen"
    assert 0 < usage["estimated_time_to_regain_access"] <= 24 * 60

    # And after 24 h of virtual time the Page may read again
    graph.sim_post("clock", {"advance_seconds": 86_401})
    assert graph.get(lead_id).status_code == 200


def test_budget_is_per_page(sim, graph, ids):
    mine = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    other = sim.create_lead(ids.other_page_id, ids.other_form_id, ids.answers())
    graph.sim_post("config", {"leadgen_budgets": {ids.page_id: 0}})
    assert graph.get(mine).status_code == 400
    assert graph.get(other, token=ids.other_page_token).status_code == 200


def test_default_budget_is_4800_per_recent_lead(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    for _ in range(47):
        graph.get(lead_id)
    # 48 calls of 4800 = 1 %
    assert _buc(graph.get(lead_id), ids.page_id)["call_count"] == 1
    sim.create_lead(ids.page_id, ids.form_id, ids.answers())  # budget doubles to 9600
    assert _buc(graph.get(lead_id), ids.page_id)["call_count"] == 0


def test_budget_override_can_be_cleared(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    graph.sim_post("config", {"leadgen_budgets": {ids.page_id: 0}})
    assert graph.get(lead_id).status_code == 400
    config = graph.sim_post("config", {"leadgen_budgets": {ids.page_id: None}}).json()
    assert config["leadgen_budgets"] == {}
    assert graph.get(lead_id).status_code == 200
