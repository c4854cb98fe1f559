"""Lead reads over HTTP: fields, tokens and appsecret_proof, permissions, paging, filtering."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests


def _error(response: requests.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert error["fbtrace_id"]
    return error


def test_lead_read_returns_only_requested_fields(sim, graph, ids):
    # Given an organic lead and an ad lead
    organic = sim.create_lead(ids.page_id, ids.form_id, ids.answers(), created_time=1_790_000_000)
    paid = sim.create_lead(ids.page_id, ids.form_id, ids.answers(), ad_id="120241202673250160")

    # When reading with explicit fields
    response = graph.get(organic, fields="id,created_time,field_data,is_organic,ad_id,platform")

    # Then only those fields come back (absent ad_id left out), ids as strings beyond 2^53
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": organic,
        "created_time": "2026-09-21T14:13:20+0000",
        "field_data": ids.answers(),
        "is_organic": True,
        "platform": "fb",
    }
    assert int(organic) > 2**53 and isinstance(body["id"], str)
    paid_body = graph.get(paid, fields="ad_id,adset_id,campaign_id,is_organic").json()
    assert paid_body["ad_id"] == "120241202673250160"
    assert paid_body["adset_id"].isdigit() and paid_body["campaign_id"].isdigit()
    assert paid_body["is_organic"] is False


def test_lead_read_without_fields_gets_metas_default_set(sim, graph, ids):
    # Given a paid lead and an organic one
    paid = sim.create_lead(ids.page_id, ids.form_id, ids.answers(), ad_id="120241202673250160")
    organic = sim.create_lead(ids.page_id, ids.form_id, ids.answers())

    # When read without fields, Then each comes back with the fields Meta's sample read shows
    body = graph.get(paid).json()
    assert set(body) == {"created_time", "id", "ad_id", "form_id", "field_data"}
    assert body["ad_id"] == "120241202673250160" and body["form_id"] == ids.form_id
    assert body["field_data"] == ids.answers()
    assert set(graph.get(organic).json()) == {"created_time", "id", "form_id", "field_data"}  # no ad
    listed = graph.get(f"{ids.form_id}/leads").json()["data"]
    assert [set(lead) for lead in listed] == [{"created_time", "id", "form_id", "field_data"}, set(body)]
    # explicit fields still select exactly
    assert graph.get(paid, fields="id").json() == {"id": paid}


def test_lead_read_usage_headers(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    response = graph.get(lead_id)
    app_usage = json.loads(response.headers["X-App-Usage"])
    assert set(app_usage) == {"call_count", "total_cputime", "total_time"}
    buc = json.loads(response.headers["X-Business-Use-Case-Usage"])
    assert buc[ids.page_id][0]["type"] == "leadgen"
    assert buc[ids.page_id][0]["estimated_time_to_regain_access"] == 0


def test_unknown_lead_is_meta_100_33(graph):
    response = graph.get("123456789012345678", fields="id")
    assert response.status_code == 400
    error = _error(response)
    assert (error["code"], error["error_subcode"]) == (100, 33)
    assert "does not exist" in error["message"]


def test_unknown_field_is_code_100(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    error = _error(graph.get(lead_id, fields="id,favourite_colour"))
    assert error["code"] == 100
    assert "favourite_colour" in error["message"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, 190),
        ({"access_token": "not-a-token"}, 190),
    ],
)
def test_missing_or_unknown_token_is_190(sim, graph, ids, params, code):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    response = requests.get(f"{graph.base_url}/v25.0/{lead_id}", params=params, timeout=10)
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == code
    assert error["type"] == "OAuthException"


def test_appsecret_proof_required_and_checked(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    url = f"{graph.base_url}/v25.0/{lead_id}"

    missing = requests.get(url, params={"access_token": ids.page_token}, timeout=10)
    wrong = requests.get(url, params={"access_token": ids.page_token, "appsecret_proof": "00" * 32}, timeout=10)

    for response in (missing, wrong):
        assert response.status_code == 400
        assert _error(response)["code"] == 100
    assert _error(wrong)["message"] == "Invalid appsecret_proof provided in the API argument"


@pytest.mark.parametrize("scheme", ["Bearer", "OAuth"])
def test_token_in_authorization_header(sim, graph, ids, scheme):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    response = requests.get(
        f"{graph.base_url}/v25.0/{lead_id}",
        params={"appsecret_proof": sim.appsecret_proof(ids.page_token)},
        headers={"Authorization": f"{scheme} {ids.page_token}"},
        timeout=10,
    )
    assert response.status_code == 200


def test_proof_not_needed_when_disabled(sim, graph, ids):
    sim.configure(require_appsecret_proof=False)
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    response = requests.get(f"{graph.base_url}/v19.0/{lead_id}", params={"access_token": ids.page_token}, timeout=10)
    assert response.status_code == 200
    assert response.headers["facebook-api-version"] == "v19.0"


def test_params_in_json_body_are_read(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    response = requests.get(f"{graph.base_url}/v25.0/{lead_id}", json={**graph.auth(), "fields": "form_id"}, timeout=10)
    assert response.json() == {"form_id": ids.form_id, "id": lead_id}


def test_other_pages_token_cannot_read_lead(sim, graph, ids):
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    response = graph.get(lead_id, token=ids.other_page_token)
    assert response.status_code == 403
    assert _error(response)["code"] == 200
    forms = graph.get(f"{ids.form_id}/leads", token=ids.other_page_token)
    assert forms.status_code == 403


def test_user_token_granted_the_page_can_read(sim, graph, ids):
    sim.add_user_token("system-user-token", page_ids=[ids.page_id])
    lead_id = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    assert graph.get(lead_id, token="system-user-token").status_code == 200
    other = sim.create_lead(ids.other_page_id, ids.other_form_id, ids.answers())
    assert graph.get(other, token="system-user-token").status_code == 403


# -- /{form_id}/leads -----------------------------------------------------------------------------


def _make_leads(sim: Any, ids: Any, count: int, start: int = 1_790_000_000) -> list[str]:
    return [
        sim.create_lead(ids.page_id, ids.form_id, ids.answers(f"u{i}@example.com"), created_time=start + i)
        for i in range(count)
    ]


def test_paging_newest_first_until_next_is_absent(sim, graph, ids):
    # Given five leads
    created = _make_leads(sim, ids, 5)

    # When following paging.next with limit=2
    seen, pages = [], []
    url, params = f"{graph.base_url}/v25.0/{ids.form_id}/leads", {**graph.auth(), "limit": 2, "fields": "id"}
    while True:
        body = requests.get(url, params=params, timeout=10).json()
        pages.append(body)
        seen += [lead["id"] for lead in body["data"]]
        if "next" not in body["paging"]:
            break
        url, params = body["paging"]["next"], {}

    # Then every lead came once, newest first, and the last page still has an after cursor
    assert seen == list(reversed(created))
    assert [len(page["data"]) for page in pages] == [2, 2, 1]
    assert pages[-1]["paging"]["cursors"]["after"]
    assert all("before" in page["paging"]["cursors"] for page in pages)


def test_next_url_repeats_query_and_token_only_if_in_query(sim, graph, ids):
    _make_leads(sim, ids, 3)
    filtering = json.dumps([{"field": "time_created", "operator": "GREATER_THAN", "value": 0}])

    in_query = graph.get(f"{ids.form_id}/leads", limit=1, fields="id,field_data", filtering=filtering).json()
    next_url = urlsplit(in_query["paging"]["next"])
    query = parse_qs(next_url.query)
    assert next_url.path == f"/v25.0/{ids.form_id}/leads"
    assert query["fields"] == ["id,field_data"] and query["limit"] == ["1"]
    assert json.loads(query["filtering"][0]) == json.loads(filtering)
    assert query["access_token"] == [ids.page_token] and "after" in query

    in_header = requests.get(
        f"{graph.base_url}/v25.0/{ids.form_id}/leads",
        params={"limit": 1, "appsecret_proof": sim.appsecret_proof(ids.page_token)},
        headers={"Authorization": f"Bearer {ids.page_token}"},
        timeout=10,
    ).json()
    assert "access_token" not in parse_qs(urlsplit(in_header["paging"]["next"]).query)


def test_limit_default_and_cap(sim, graph, ids):
    _make_leads(sim, ids, 30)
    assert len(graph.get(f"{ids.form_id}/leads").json()["data"]) == 25
    sim.configure(max_limit=10)
    body = graph.get(f"{ids.form_id}/leads", limit=10_000).json()
    assert len(body["data"]) == 10
    assert parse_qs(urlsplit(body["paging"]["next"]).query)["limit"] == ["10"]
    assert graph.get(f"{ids.form_id}/leads", limit=0).status_code == 400


def test_empty_form_has_no_paging(graph, ids):
    assert graph.get(f"{ids.form_id}/leads").json() == {"data": []}


@pytest.mark.parametrize(
    ("conditions", "expected_offsets"),
    [
        ([{"field": "time_created", "operator": "GREATER_THAN", "value": 1_790_000_002}], [4, 3]),
        ([{"field": "time_created", "operator": "GREATER_THAN_OR_EQUAL", "value": 1_790_000_002}], [4, 3, 2]),
        ([{"field": "time_created", "operator": "LESS_THAN", "value": 1_790_000_002}], [1, 0]),
        (
            [
                {"field": "time_created", "operator": "GREATER_THAN", "value": "1790000000"},
                {"field": "time_created", "operator": "LESS_THAN", "value": 1_790_000_004},
            ],
            [3, 2, 1],
        ),
    ],
)
def test_filtering_by_time_created(sim, graph, ids, conditions, expected_offsets):
    created = _make_leads(sim, ids, 5)
    body = graph.get(f"{ids.form_id}/leads", filtering=json.dumps(conditions)).json()
    assert [lead["id"] for lead in body["data"]] == [created[i] for i in expected_offsets]


@pytest.mark.parametrize(
    "filtering",
    [
        "not json",
        json.dumps({"field": "time_created"}),
        json.dumps([{"field": "created_time", "operator": "GREATER_THAN", "value": 1}]),
        json.dumps([{"field": "time_created", "operator": "BETWEEN", "value": 1}]),
        json.dumps([{"field": "time_created", "operator": "GREATER_THAN", "value": "yesterday"}]),
    ],
)
def test_bad_filtering_is_code_100(graph, ids, filtering):
    response = graph.get(f"{ids.form_id}/leads", filtering=filtering)
    assert response.status_code == 400
    assert _error(response)["code"] == 100


def test_bad_cursor_is_code_100(graph, ids):
    response = graph.get(f"{ids.form_id}/leads", after="%%%not-a-cursor")
    assert _error(response)["code"] == 100


def test_leads_of_other_forms_are_not_listed(sim, graph, ids):
    sim.create_lead(ids.other_page_id, ids.other_form_id, ids.answers())
    mine = sim.create_lead(ids.page_id, ids.form_id, ids.answers())
    assert [lead["id"] for lead in graph.get(f"{ids.form_id}/leads").json()["data"]] == [mine]


def _follow(url: str, params: dict[str, Any], link: str) -> list[list[str]]:
    """Pages of lead ids, following ``paging[link]`` until it is absent."""
    pages: list[list[str]] = []
    while True:
        body = requests.get(url, params=params, timeout=10).json()
        pages.append([lead["id"] for lead in body["data"]])
        if link not in body.get("paging", {}):
            return pages
        url, params = body["paging"][link], {}


def test_paging_backwards_with_before_and_previous(sim, graph, ids):
    # Given seven leads read forward two at a time
    created = _make_leads(sim, ids, 7)
    url = f"{graph.base_url}/v25.0/{ids.form_id}/leads"
    forward = _follow(url, {**graph.auth(), "limit": 2, "fields": "id"}, "next")
    newest_first = list(reversed(created))
    assert forward == [newest_first[0:2], newest_first[2:4], newest_first[4:6], newest_first[6:]]

    # When the last page is read again and previous is followed back to the start
    last = graph.get(f"{ids.form_id}/leads", limit=2, fields="id", after=_cursor_after(graph, ids, 3)).json()
    assert [lead["id"] for lead in last["data"]] == newest_first[6:]
    assert "next" not in last["paging"]
    backward = _follow(last["paging"]["previous"], {}, "previous")

    # Then the same pages come back in reverse, and the first page has no previous link
    assert backward == [newest_first[4:6], newest_first[2:4], newest_first[0:2]]
    first = graph.get(f"{ids.form_id}/leads", limit=2).json()
    assert "previous" not in first["paging"] and "next" in first["paging"]
    previous = parse_qs(urlsplit(last["paging"]["previous"]).query)
    assert previous["before"] == [last["paging"]["cursors"]["before"]] and "after" not in previous
    assert previous["limit"] == ["2"] and previous["fields"] == ["id"]


def _cursor_after(graph: Any, ids: Any, pages: int) -> str:
    """The ``after`` cursor that ends the ``pages``-th page of two."""
    params: dict[str, Any] = {"limit": 2, "fields": "id"}
    for _ in range(pages):
        body = graph.get(f"{ids.form_id}/leads", **params).json()
        params["after"] = body["paging"]["cursors"]["after"]
    cursor: str = params["after"]
    return cursor


def test_before_pages_back_within_the_filter(sim, graph, ids):
    # Given six leads, the newest left out by the filter: filtered pages are [4 3] [2 1] [0]
    created = _make_leads(sim, ids, 6)
    filtering = json.dumps([{"field": "time_created", "operator": "LESS_THAN", "value": 1_790_000_005}])
    query = {"limit": 2, "fields": "id", "filtering": filtering}
    first = graph.get(f"{ids.form_id}/leads", **query).json()
    second = graph.get(f"{ids.form_id}/leads", **query, after=first["paging"]["cursors"]["after"]).json()
    assert [lead["id"] for lead in second["data"]] == [created[2], created[1]]

    # When reading before the second page
    back = graph.get(f"{ids.form_id}/leads", **query, before=second["paging"]["cursors"]["before"]).json()

    # Then the first filtered page comes back, with no previous (lead 5 is filtered out) and a next
    assert [lead["id"] for lead in back["data"]] == [created[4], created[3]]
    assert "previous" not in back["paging"]
    assert json.loads(parse_qs(urlsplit(back["paging"]["next"]).query)["filtering"][0]) == json.loads(filtering)


def test_before_and_after_together_is_code_100(sim, graph, ids):
    _make_leads(sim, ids, 3)
    cursors = graph.get(f"{ids.form_id}/leads", limit=1).json()["paging"]["cursors"]
    response = graph.get(f"{ids.form_id}/leads", before=cursors["before"], after=cursors["after"])
    assert response.status_code == 400 and _error(response)["code"] == 100
    assert _error(graph.get(f"{ids.form_id}/leads", before="%%%"))["code"] == 100


# -- /{ad_id}/leads --------------------------------------------------------------------------------

AD_ID = "120241202673250160"
OTHER_AD_ID = "120241202673250161"


def test_ad_leads_lists_only_that_ads_leads_with_filtering_and_paging(sim, graph, ids):
    # Given leads of two ads on one form and an organic lead
    mine = [
        sim.create_lead(ids.page_id, ids.form_id, ids.answers(f"a{i}@example.com"), ad_id=AD_ID, created_time=t)
        for i, t in enumerate((1_790_000_001, 1_790_000_002, 1_790_000_003))
    ]
    sim.create_lead(ids.page_id, ids.form_id, ids.answers(), ad_id=OTHER_AD_ID, created_time=1_790_000_004)
    sim.create_lead(ids.page_id, ids.form_id, ids.answers(), created_time=1_790_000_005)

    # When the ad's edge is read two at a time, Then only its leads come, newest first, both ways
    url = f"{graph.base_url}/v25.0/{AD_ID}/leads"
    pages = _follow(url, {**graph.auth(), "limit": 2}, "next")
    assert pages == [[mine[2], mine[1]], [mine[0]]]
    body = graph.get(f"{AD_ID}/leads").json()
    assert all(lead["ad_id"] == AD_ID for lead in body["data"])  # Meta's default fields
    # filtering as in Meta's own example on this edge
    filtering = json.dumps([{"field": "time_created", "operator": "GREATER_THAN", "value": 1_790_000_001}])
    filtered = graph.get(f"{AD_ID}/leads", filtering=filtering, fields="id").json()
    assert [lead["id"] for lead in filtered["data"]] == [mine[2], mine[1]]
    last = graph.get(f"{AD_ID}/leads", limit=2, after=_ad_cursor(graph)).json()
    assert [lead["id"] for lead in last["data"]] == [mine[0]]
    assert _follow(last["paging"]["previous"], {}, "previous") == [[mine[2], mine[1]]]


def _ad_cursor(graph: Any) -> str:
    """The ``after`` cursor of the ad edge's first page of two."""
    cursor: str = graph.get(f"{AD_ID}/leads", limit=2).json()["paging"]["cursors"]["after"]
    return cursor


def test_ad_leads_checks_access_counts_budget_and_rejects_unknown_ads(sim, graph, ids):
    sim.create_lead(ids.page_id, ids.form_id, ids.answers(), ad_id=AD_ID)
    denied = graph.get(f"{AD_ID}/leads", token=ids.other_page_token)
    assert denied.status_code == 403 and _error(denied)["code"] == 200
    unknown = graph.get("120241202673259999/leads")
    assert (_error(unknown)["code"], _error(unknown)["error_subcode"]) == (100, 33)
    assert _error(graph.get(f"{AD_ID}/insights"))["code"] == 100
    response = graph.get(f"{AD_ID}/leads")
    assert json.loads(response.headers["X-Business-Use-Case-Usage"])[ids.page_id][0]["type"] == "leadgen"
    post = graph.session.post(f"{graph.base_url}/v25.0/{AD_ID}/leads", data=graph.auth(), timeout=10)
    assert post.status_code == 400


def test_calls_log_counts_rows(sim, graph, ids):
    _make_leads(sim, ids, 3)
    graph.get(f"{ids.form_id}/leads", limit=2)
    calls = graph.sim_get("calls").json()
    assert calls[-1]["path"] == f"/v25.0/{ids.form_id}/leads"
    assert calls[-1]["rows"] == 2 and calls[-1]["status"] == 200
