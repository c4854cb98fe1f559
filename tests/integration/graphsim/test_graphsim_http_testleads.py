"""Test leads over HTTP: Meta's form-encoded and JSON calls, the signed webhook, one per form, delete, list."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import requests


def _post(graph: Any, ids: Any, token: str | None = None, **form: str) -> requests.Response:
    url = f"{graph.base_url}/{ids.version}/{ids.form_id}/test_leads"
    return graph.session.post(url, data={**graph.auth(token), **form}, timeout=10)


def _delete(graph: Any, ids: Any, lead_id: str, token: str | None = None) -> requests.Response:
    return graph.session.delete(f"{graph.base_url}/{ids.version}/{lead_id}", data=graph.auth(token), timeout=10)


def test_metas_curl_example_creates_a_lead_whose_signed_webhook_arrives(sim, graph, receiver, ids):
    # Given the app subscribed and installed on the Page for leadgen
    sim.subscribe(receiver.url, ids.verify_token)
    graph.sim_post(f"pages/{ids.page_id}/subscribed_apps", {"subscribed_fields": ["leadgen"]})

    # When the form's test lead is created the way Meta's docs write it (single-quoted arrays)
    answer = _post(
        graph,
        ids,
        field_data="[{'name': 'favorite_color?', 'values': ['yellow']}, "
        "{'name': 'email', 'values': ['test@test.com']}]",
        custom_disclaimer_responses="[{'checkbox_key': 'my_checkbox', 'is_checked': true}]",
    )

    # Then Meta's answer is the new lead's id, and a signed leadgen webhook for an organic lead arrives
    assert answer.status_code == 200, answer.text
    lead_id = answer.json()["id"]
    assert set(answer.json()) == {"id"} and lead_id.isdigit()
    (post,) = receiver.wait_posts(1)
    expected = "sha256=" + hmac.new(ids.app_secret.encode(), post.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, post.headers["X-Hub-Signature-256"])
    (change,) = json.loads(post.body)["entry"][0]["changes"]
    assert change["field"] == "leadgen"
    assert change["value"]["leadgen_id"] == int(lead_id) and change["value"]["form_id"] == int(ids.form_id)
    assert change["value"]["ad_id"] == 0 and change["value"]["adgroup_id"] == 0

    # And the lead reads back with the answers given
    lead = graph.get(lead_id, fields="field_data,custom_disclaimer_responses,is_organic").json()
    assert lead["field_data"][1] == {"name": "email", "values": ["test@test.com"]}
    assert lead["custom_disclaimer_responses"] == [{"checkbox_key": "my_checkbox", "is_checked": "1"}]
    assert lead["is_organic"] is True


def test_a_json_body_works_too(graph, ids):
    url = f"{graph.base_url}/{ids.version}/{ids.form_id}/test_leads"
    body = {**graph.auth(), "field_data": [{"name": "email", "values": ["json@example.com"]}]}
    answer = graph.session.post(url, json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    listed = graph.get(f"{ids.form_id}/test_leads", fields="field_data").json()
    assert listed["data"][0]["field_data"] == [{"name": "email", "values": ["json@example.com"]}]


def test_one_per_form_in_metas_error_shape_until_the_owner_deletes_it(graph, ids):
    first = _post(graph, ids).json()["id"]

    refused = _post(graph, ids)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == 100 and error["type"] == "OAuthException" and error["is_transient"] is False
    assert "delete the existing test lead" in error["message"] and error["fbtrace_id"]

    listed = graph.get(f"{ids.form_id}/test_leads").json()
    assert [item["id"] for item in listed["data"]] == [first]
    assert set(listed["paging"]["cursors"]) == {"before", "after"}

    deleted = _delete(graph, ids, first)
    assert deleted.status_code == 200 and deleted.json() == {"success": True}
    assert graph.get(f"{ids.form_id}/test_leads").json() == {"data": []}
    assert graph.get(first).status_code == 400  # gone: 100/33
    assert _post(graph, ids).status_code == 200


def test_delete_by_someone_else_is_refused(sim, graph, ids):
    lead_id = _post(graph, ids).json()["id"]
    sim.add_user_token("EAAB-colleague", page_ids=[ids.page_id])
    refused = _delete(graph, ids, lead_id, token="EAAB-colleague")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == 200
    assert _delete(graph, ids, lead_id, token=ids.other_page_token).json()["error"]["error_subcode"] == 33
    assert graph.get(f"{ids.form_id}/test_leads").json()["data"][0]["id"] == lead_id


def test_a_user_token_must_fetch_the_page_token_first(sim, graph, ids):
    sim.add_user_token("EAAB-person", page_ids=[ids.page_id])
    refused = _post(graph, ids, token="EAAB-person")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == 210
    page_token = graph.get(ids.page_id, token="EAAB-person", fields="access_token").json()["access_token"]
    assert _post(graph, ids, token=page_token).status_code == 200


def test_no_webhook_when_the_page_uninstalled_the_app(sim, graph, receiver, ids):
    sim.subscribe(receiver.url, ids.verify_token)
    graph.sim_post(f"pages/{ids.page_id}/subscribed_apps", {"subscribed_fields": []})

    answer = _post(graph, ids)

    assert answer.status_code == 200
    assert graph.sim_get("webhooks").json() == []  # deliveries are logged when queued: none was
    assert answer.json()["id"] in [lead["id"] for lead in graph.sim_get("leads", form_id=ids.form_id).json()["data"]]


def test_control_listing_marks_test_leads_and_the_call_log_keeps_no_token(sim, graph, ids):
    sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    lead_id = _post(graph, ids).json()["id"]
    marks = {lead["id"]: lead["test_lead"] for lead in graph.sim_get("leads", form_id=ids.form_id).json()["data"]}
    assert marks[lead_id] is True and list(marks.values()).count(False) == 1
    _delete(graph, ids, lead_id)
    calls = graph.sim_get("calls").json()
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("POST", f"/{ids.version}/{ids.form_id}/test_leads", 200),
        ("DELETE", f"/{ids.version}/{lead_id}", 200),
    ]
    assert ids.page_token not in json.dumps(calls)


def test_the_proof_is_required_like_everywhere(graph, ids):
    url = f"{graph.base_url}/{ids.version}/{ids.form_id}/test_leads"
    answer = graph.session.post(url, data={"access_token": ids.page_token}, timeout=10)
    assert answer.status_code == 400 and "appsecret_proof" in answer.json()["error"]["message"]
