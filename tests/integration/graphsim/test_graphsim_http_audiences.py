"""Custom audiences over HTTP: create, read, /users add/remove, sessions, opt-out, budgets, faults."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
import requests

ACCOUNT = "act_700000000000001"
OTHER_TOKEN = "EAAB-other-user"


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def ca(sim, graph):
    """The page token manages ACCOUNT (``add_ad_account`` grants every known token by default)."""
    sim.add_ad_account(ACCOUNT)
    sim.add_user_token(OTHER_TOKEN)
    return CA(graph)


class CA:
    def __init__(self, graph: Any) -> None:
        self.graph = graph

    def url(self, path: str) -> str:
        return f"{self.graph.base_url}/v25.0/{path}"

    def create(self, name: str = "Leads", **extra: Any) -> requests.Response:
        data = {**self.graph.auth(), "name": name, "subtype": "CUSTOM", **extra}
        return self.graph.session.post(self.url(f"{ACCOUNT}/customaudiences"), data=data, timeout=10)

    def new(self, name: str = "Leads") -> str:
        response = self.create(name, customer_file_source="USER_PROVIDED_ONLY")
        assert response.status_code == 200, response.text
        audience_id: str = response.json()["id"]
        return audience_id

    def users(
        self,
        audience_id: str,
        schema: Any,
        data: list[Any],
        *,
        method: str = "POST",
        session: dict[str, Any] | None = None,
        form_method: str | None = None,
    ) -> requests.Response:
        form = {**self.graph.auth(), "payload": json.dumps({"schema": schema, "data": data, "is_raw": True})}
        if form_method is not None:
            form["method"] = form_method
        if session is not None:
            form["session"] = json.dumps(session)
        return self.graph.session.request(method, self.url(f"{audience_id}/users"), data=form, timeout=30)

    def members(self, audience_id: str) -> list[list[Any]]:
        members: list[list[Any]] = self.graph.sim_get(f"audiences/{audience_id}").json()["members"]
        return members


def test_create_and_read_an_audience(ca, graph):
    audience_id = ca.new("Newsletter")
    assert audience_id.isdigit() and len(audience_id) >= 17
    fields = (
        "id,name,subtype,description,customer_file_source,operation_status,approximate_count_lower_bound,"
        "approximate_count_upper_bound,data_source,delivery_status,time_updated"
    )
    body = graph.get(audience_id, fields=fields).json()
    assert body["name"] == "Newsletter" and body["subtype"] == "CUSTOM" and body["id"] == audience_id
    assert body["customer_file_source"] == "USER_PROVIDED_ONLY"
    assert body["operation_status"] == {"code": 200, "description": "Normal"}
    assert (body["approximate_count_lower_bound"], body["approximate_count_upper_bound"]) == (0, 0)
    assert body["data_source"]["type"] == "UNKNOWN"
    assert body["delivery_status"]["code"] == 300
    assert isinstance(body["time_updated"], int)
    assert graph.get(audience_id, fields="nope").json()["error"]["code"] == 100


@pytest.mark.parametrize(
    "extra",
    [{"name": ""}, {"subtype": "LOOKALIKE"}, {"customer_file_source": "SOMEONE"}],
)
def test_create_validation_is_100(ca, extra):
    response = ca.create(**{"customer_file_source": "USER_PROVIDED_ONLY", **extra})
    assert response.status_code == 400 and response.json()["error"]["code"] == 100


def test_create_without_customer_file_source_is_100(ca, graph):
    # Meta requires customer_file_source with subtype=CUSTOM (meta-api.md §5.2)
    response = ca.create("No source")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == 100 and "customer_file_source" in error["message"]
    assert ca.create("Empty source", customer_file_source="").status_code == 400


def test_a_hashed_blank_is_invalid_and_removes_nobody(ca, graph):
    # Given members whose phone is unknown (an empty cell, as Meta asks)
    audience_id = ca.new()
    ca.users(audience_id, ["EMAIL", "PHONE"], [[h("a@example.com"), ""], [h("b@example.com"), ""]])

    # When someone is added and removed with the SHA-256 of an empty phone
    added = ca.users(audience_id, ["EMAIL", "PHONE"], [[h("c@example.com"), h("")]]).json()
    removed = ca.users(audience_id, ["EMAIL", "PHONE"], [[h("z@example.com"), h("")]], method="DELETE").json()

    # Then both rows are invalid entries and nobody is added or removed
    assert added["num_invalid_entries"] == 1 and added["invalid_entry_samples"] == {h(""): "PHONE"}
    assert removed["num_invalid_entries"] == 1
    assert ca.members(audience_id) == [[h("a@example.com"), ""], [h("b@example.com"), ""]]


def test_an_upper_case_madid_is_an_invalid_entry(ca, graph):
    audience_id = ca.new()
    idfa = "6D92078A-8246-4BA4-AE5B-76104861E7DC"
    body = ca.users(audience_id, ["MADID"], [[idfa], [idfa.lower()]]).json()
    assert body["num_received"] == 2 and body["num_invalid_entries"] == 1
    assert body["invalid_entry_samples"] == {idfa: "MADID"}
    assert ca.members(audience_id) == [[idfa.lower()]]


def test_create_needs_the_ad_account(ca, graph):
    data = {**graph.auth(OTHER_TOKEN), "name": "x", "subtype": "CUSTOM"}
    response = graph.session.post(ca.url(f"{ACCOUNT}/customaudiences"), data=data, timeout=10)
    assert response.status_code == 403 and response.json()["error"]["code"] == 200


def test_add_multi_key_then_read_members_bounds_and_source(ca, graph):
    audience_id = ca.new()
    rows = [[h(f"p{i}@example.com"), h(f"1555000{i:04d}")] for i in range(150)]
    response = ca.users(audience_id, ["EMAIL", "PHONE"], rows)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["audience_id"] == audience_id and body["session_id"].isdigit()
    assert body["num_received"] == 150 and body["num_invalid_entries"] == 0
    assert body["invalid_entry_samples"] == {}
    assert json.loads(response.headers["X-Business-Use-Case-Usage"])[ACCOUNT[4:]][0]["type"] == "custom_audience"
    assert "acc_id_util_pct" in json.loads(response.headers["X-Ad-Account-Usage"])

    view = graph.sim_get(f"audiences/{audience_id}").json()
    assert view["members"] == rows and view["schema"] == ["EMAIL", "PHONE"] and view["account_id"] == ACCOUNT
    read = graph.get(audience_id, fields="approximate_count_lower_bound,approximate_count_upper_bound,data_source")
    read_body = read.json()
    assert (read_body["approximate_count_lower_bound"], read_body["approximate_count_upper_bound"]) == (150, 160)
    assert read_body["data_source"]["type"] == "FILE_IMPORTED"
    assert read_body["data_source"]["sub_type"] == "MULTI_HASHES"

    # the same rows again add nothing
    ca.users(audience_id, ["EMAIL", "PHONE"], rows[:10])
    assert len(ca.members(audience_id)) == 150


def test_json_body_upload_is_accepted(ca, graph):
    audience_id = ca.new()
    body = {**graph.auth(), "payload": {"schema": ["EMAIL"], "data": [[h("j@example.com")]]}}
    response = graph.session.post(ca.url(f"{audience_id}/users"), json=body, timeout=10)
    assert response.status_code == 200 and ca.members(audience_id) == [[h("j@example.com")]]


def test_limit_mismatch_and_unknown_key_are_100_and_logged(ca, graph):
    audience_id = ca.new()
    graph.session.delete(f"{graph.base_url}/_sim/calls", timeout=5)
    too_many = ca.users(audience_id, ["EMAIL"], [[h("x")]] * 10_001)
    mismatch = ca.users(audience_id, ["EMAIL", "PHONE"], [[h("a"), ""], [h("b")]])
    unknown = ca.users(audience_id, ["EMAIL", "SHOE_SIZE"], [[h("a"), "44"]])
    for response in (too_many, mismatch, unknown):
        assert response.status_code == 400 and response.json()["error"]["code"] == 100
        assert "X-Ad-Account-Usage" in response.headers
    assert "10000" in too_many.json()["error"]["message"]
    assert ca.members(audience_id) == []
    calls = [c for c in graph.sim_get("calls").json() if c["path"].endswith("/users")]
    assert [(c["op"], c["rows"], c["error_code"]) for c in calls] == [
        ("add", 10_001, 100),
        ("add", 2, 100),
        ("add", 1, 100),
    ]


def test_data_format_lock_is_2650(ca, graph):
    audience_id = ca.new()
    assert ca.users(audience_id, ["EMAIL"], [[h("a")]]).status_code == 200
    response = ca.users(audience_id, "EMAIL_SHA256", [h("b")])
    error = response.json()["error"]
    assert response.status_code == 400 and error["code"] == 2650
    assert (
        "FILE_IMPORTED.MULTI_HASHES, which does not support data source FILE_IMPORTED.HASHES_OR_USER_IDS"
        in (error["message"])
    )
    assert ca.members(audience_id) == [[h("a")]]
    # removal by a single key still works on a multi-key audience
    assert ca.users(audience_id, "EMAIL_SHA256", [h("a")], method="DELETE").status_code == 200
    assert ca.members(audience_id) == []


def test_invalid_entries_are_counted_sampled_and_not_added(ca):
    audience_id = ca.new()
    rows = [[h("ok@example.com"), ""], ["plain@example.com", ""], [h("z@example.com"), "12345"]]
    body = ca.users(audience_id, ["EMAIL", "PHONE"], rows).json()
    assert body["num_received"] == 3 and body["num_invalid_entries"] == 2
    assert body["invalid_entry_samples"] == {"plain@example.com": "EMAIL", "12345": "PHONE"}
    assert ca.members(audience_id) == [[h("ok@example.com"), ""]]


def test_remove_by_one_identifier_with_delete_and_method_override(ca):
    audience_id = ca.new()
    rows = [[h("a@x.com"), h("15550001")], [h("b@x.com"), h("15550002")], [h("c@x.com"), ""]]
    ca.users(audience_id, ["EMAIL", "PHONE"], rows)
    # DELETE with only the phone of the first person
    response = ca.users(audience_id, ["EMAIL", "PHONE"], [["", h("15550001")]], method="DELETE")
    assert response.status_code == 200 and response.json()["num_received"] == 1
    assert ca.members(audience_id) == rows[1:]
    # POST with method=DELETE in the form body, by email only
    response = ca.users(audience_id, ["EMAIL"], [[h("c@x.com")]], method="POST", form_method="DELETE")
    assert response.status_code == 200 and ca.members(audience_id) == rows[1:2]
    # removals are logged as such, with their row counts
    calls = [c for c in ca.graph.sim_get("calls").json() if c["path"].endswith("/users")]
    assert [(c["method"], c["op"], c["rows"]) for c in calls] == [
        ("POST", "add", 3),
        ("DELETE", "remove", 1),
        ("POST", "remove", 1),
    ]


def test_sessions_accumulate_and_report_strings(ca, graph):
    audience_id = ca.new()
    session = {"session_id": 4242, "batch_seq": 1, "last_batch_flag": False, "estimated_num_total": 3}
    first = ca.users(audience_id, ["EMAIL"], [[h("a")], ["bad"]], session=session).json()
    assert first["session_id"] == "4242" and first["num_received"] == 2 and first["num_invalid_entries"] == 1
    (open_session,) = graph.get(f"{audience_id}/sessions").json()["data"]
    assert open_session["stage"] == "uploading" and open_session["end_time"] == "0"
    assert open_session["num_matched"] == "-1"
    last = ca.users(audience_id, ["EMAIL"], [[h("b")]], session={**session, "batch_seq": 2, "last_batch_flag": True})
    assert last.json()["num_received"] == 3
    ca.users(audience_id, ["EMAIL"], [[h("c")]])  # a session of its own
    sessions = graph.get(f"{audience_id}/sessions").json()["data"]
    assert len(sessions) == 2 and all(isinstance(v, str) for s in sessions for v in s.values())
    (done,) = graph.get(f"{audience_id}/sessions", session_id="4242").json()["data"]
    assert done["stage"] == "processed" and done["num_received"] == "3" and done["num_matched"] == "2"
    assert done["progress"] == "100" and int(done["end_time"]) >= int(done["start_time"]) > 0
    view = graph.sim_get(f"audiences/{audience_id}").json()
    assert view["sessions"][0]["session_id"] == "4242" and view["sessions"][0]["op"] == "add"


def test_usersofanyaudience_removes_from_every_audience(ca, graph):
    first, second = ca.new("one"), ca.new("two")
    ca.users(first, ["EMAIL"], [[h("gone@x.com")], [h("stay@x.com")]])
    ca.users(second, ["EMAIL", "EXTERN_ID"], [[h("gone@x.com"), "crm-1"], ["", "crm-2"]])
    form = {**graph.auth(), "payload": json.dumps({"schema": "EMAIL_SHA256", "data": [h("gone@x.com")]})}
    response = graph.session.delete(ca.url(f"{ACCOUNT}/usersofanyaudience"), data=form, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["num_received"] == 1 and response.json()["num_invalid_entries"] == 0
    assert "X-Business-Use-Case-Usage" in response.headers
    assert ca.members(first) == [[h("stay@x.com")]]
    assert ca.members(second) == [["", "crm-2"]]
    # by EXTERN_ID alone, through POST method=DELETE
    form = {**graph.auth(), "method": "DELETE", "payload": json.dumps({"schema": "EXTERN_ID", "data": ["crm-2"]})}
    assert graph.session.post(ca.url(f"{ACCOUNT}/usersofanyaudience"), data=form, timeout=10).status_code == 200
    assert ca.members(second) == []
    calls = [c for c in graph.sim_get("calls").json() if c["path"].endswith("usersofanyaudience")]
    assert [(c["op"], c["rows"]) for c in calls] == [("remove", 1), ("remove", 1)]


def test_audience_budget_is_80003_with_headers_until_the_hour_rolls(sim, ca, graph):
    audience_id = ca.new()
    sim.set_audience_budget(ACCOUNT, 3)  # the create above already counted once
    assert ca.users(audience_id, ["EMAIL"], [[h("a")]]).status_code == 200
    third = graph.get(audience_id, fields="name")
    assert json.loads(third.headers["X-Ad-Account-Usage"])["acc_id_util_pct"] == 100.0
    refused = ca.users(audience_id, ["EMAIL"], [[h("b")]])
    error = refused.json()["error"]
    assert refused.status_code == 400 and error["code"] == 80003 and error["is_transient"] is True
    buc = json.loads(refused.headers["X-Business-Use-Case-Usage"])[ACCOUNT[4:]][0]
    assert buc["type"] == "custom_audience" and 0 < buc["estimated_time_to_regain_access"] <= 60
    assert ca.members(audience_id) == [[h("a")]]
    graph.sim_post("clock", {"advance_seconds": 3601})
    assert ca.users(audience_id, ["EMAIL"], [[h("b")]]).status_code == 200
    # the same knob over HTTP
    config = graph.sim_post("config", {"audience_budgets": {ACCOUNT[4:]: 0}}).json()
    assert config["audience_budgets"] == {ACCOUNT: 0}
    assert ca.users(audience_id, ["EMAIL"], [[h("c")]]).json()["error"]["code"] == 80003
    graph.sim_post("config", {"audience_budgets": {ACCOUNT: None}})
    assert ca.users(audience_id, ["EMAIL"], [[h("c")]]).status_code == 200


def test_flagged_audience_is_100_1713230(ca, graph):
    audience_id = ca.new()
    status = graph.sim_post(f"audiences/{audience_id}/status", {"code": 471, "description": "Flagged"})
    assert status.status_code == 200
    for method in ("POST", "DELETE"):
        error = ca.users(audience_id, ["EMAIL"], [[h("a")]], method=method).json()["error"]
        assert (error["code"], error["error_subcode"]) == (100, 1713230)
    assert graph.get(audience_id, fields="operation_status").json()["operation_status"]["code"] == 471
    assert graph.sim_post("audiences/404/status", {"code": 200}).status_code == 404


@pytest.mark.parametrize(("code", "subcode"), [(613, 1487742), (17, 2446079), (190, 463), (2650, 1870145)])
def test_faults_on_users(ca, graph, code, subcode):
    audience_id = ca.new()
    graph.sim_post("faults", {"path": r"/users$", "error": {"code": code, "error_subcode": subcode}, "times": 1})
    error = ca.users(audience_id, ["EMAIL"], [[h("a")]]).json()["error"]
    assert (error["code"], error["error_subcode"]) == (code, subcode)
    assert ca.members(audience_id) == []
    assert ca.users(audience_id, ["EMAIL"], [[h("a")]]).status_code == 200


def test_control_audience_creation_with_and_without_id(ca, graph):
    made = graph.sim_post("audiences", {"account_id": ACCOUNT, "name": "Direct"}).json()["id"]
    assert made.isdigit() and len(made) >= 17
    assert graph.sim_post("audiences", {"audience_id": "238000000000009", "account_id": ACCOUNT}).status_code == 200
    assert graph.sim_get(f"audiences/{made}").json()["name"] == "Direct"
    assert graph.sim_post("audiences", {"account_id": "act_999"}).status_code == 400


def test_other_tokens_cannot_touch_members(ca, graph):
    audience_id = ca.new()
    form = {**graph.auth(OTHER_TOKEN), "payload": json.dumps({"schema": ["EMAIL"], "data": [[h("a")]]})}
    response = graph.session.post(ca.url(f"{audience_id}/users"), data=form, timeout=10)
    assert response.status_code == 403 and response.json()["error"]["code"] == 200


def test_python_api_and_tier_knob(sim, graph):
    account = sim.add_ad_account("800", token=OTHER_TOKEN)  # only OTHER_TOKEN may manage it
    sim.add_user_token(OTHER_TOKEN)
    audience_id = sim.add_audience(None, account, name="Py")
    assert audience_id.isdigit() and len(audience_id) >= 17
    assert graph.get(audience_id).status_code == 403  # the page token was not granted
    ok = graph.get(audience_id, token=OTHER_TOKEN, fields="name")
    assert ok.json()["name"] == "Py"
    assert json.loads(ok.headers["X-Ad-Account-Usage"])["ads_api_access_tier"] == "development_access"
    sim.configure(ads_api_access_tier="standard_access")
    again = graph.get(audience_id, token=OTHER_TOKEN)
    assert json.loads(again.headers["X-Ad-Account-Usage"])["ads_api_access_tier"] == "standard_access"
    sim.set_audience_status(audience_id, 414, "Replace in progress")
    view = sim.audience(audience_id)
    assert view is not None and view["operation_status"]["code"] == 414 and view["members"] == []
    assert sim.audience("nope") is None
    with pytest.raises(ValueError):
        sim.configure(audience_budgets={"act_x": 1})
