"""usersreplace over HTTP: multi-batch replace with concurrent batches, call log, sessions, /_sim hooks."""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

ACCOUNT = "act_700000000000002"
SID = 6_000_000_000_000_000_001


def h(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class Replace:
    """Signed calls to one audience's /users, /usersreplace, /sessions and its /_sim view."""

    def __init__(self, graph: Any, audience_id: str) -> None:
        self.graph = graph
        self.audience_id = audience_id

    def url(self, edge: str) -> str:
        return f"{self.graph.base_url}/v25.0/{self.audience_id}/{edge}"

    def _form(self, rows: list[list[str]], session: dict[str, Any] | None) -> dict[str, str]:
        form = {**self.graph.auth(), "payload": json.dumps({"schema": ["EMAIL"], "data": rows, "is_raw": True})}
        if session is not None:
            form["session"] = json.dumps(session)
        return form

    def batch(
        self, batch_seq: int, rows: list[list[str]], *, last: bool = False, session_id: int = SID
    ) -> requests.Response:
        session = {"session_id": session_id, "batch_seq": batch_seq, "last_batch_flag": last}
        # a fresh connection per call: batches may be sent from several threads at once
        return requests.post(self.url("usersreplace"), data=self._form(rows, session), timeout=30)

    def users(self, rows: list[list[str]], method: str = "POST") -> requests.Response:
        return requests.request(method, self.url("users"), data=self._form(rows, None), timeout=30)

    def view(self) -> dict[str, Any]:
        view: dict[str, Any] = self.graph.sim_get(f"audiences/{self.audience_id}").json()
        return view

    def read(self, fields: str) -> dict[str, Any]:
        body: dict[str, Any] = self.graph.get(self.audience_id, fields=fields).json()
        return body

    def status(self) -> int:
        code: int = self.read("operation_status")["operation_status"]["code"]
        return code

    def sessions(self) -> list[dict[str, str]]:
        data: list[dict[str, str]] = self.graph.get(f"{self.audience_id}/sessions").json()["data"]
        return data


def rows_for(prefix: str, count: int) -> list[list[str]]:
    return [[h(f"{prefix}{i}@example.com")] for i in range(count)]


def error_of(response: requests.Response) -> tuple[int, int | None]:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    return error["code"], error.get("error_subcode")


@pytest.fixture
def rep(sim, graph) -> Replace:
    sim.add_ad_account(ACCOUNT)
    audience_id = sim.add_audience(None, ACCOUNT, name="Replace me")
    return Replace(graph, audience_id)


def test_multi_batch_replace_with_concurrent_batches(rep, graph):
    old = rows_for("old", 5)
    assert rep.users(old).status_code == 200
    assert graph.sim_post("config", {"replace_processing_seconds": 120}).json()["replace_processing_seconds"] == 120
    graph.session.delete(f"{graph.base_url}/_sim/calls", timeout=5)
    batches = {seq: rows_for(f"b{seq}-", 30) for seq in range(1, 9)}
    batches[4] += batches[2][:10]  # rows repeated across batches are kept once

    first = rep.batch(1, batches[1])
    assert first.status_code == 200, first.text
    body = first.json()
    assert body == {
        "account_id": ACCOUNT[4:],
        "audience_id": rep.audience_id,
        "session_id": str(SID),
        "num_received": 30,
        "num_invalid_entries": 0,
        "invalid_entry_samples": {},
    }
    assert "X-Ad-Account-Usage" in first.headers
    assert rep.status() == 414
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda seq: rep.batch(seq, batches[seq]), range(2, 8)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    last = rep.batch(8, batches[8] + [["plain@example.com"]], last=True)
    assert last.status_code == 200, last.text
    total = sum(len(rows) for rows in batches.values()) + 1
    assert last.json()["num_received"] == total and last.json()["num_invalid_entries"] == 1
    assert last.json()["invalid_entry_samples"] == {"plain@example.com": "EMAIL"}

    # processing (120 s of virtual time): still 414, old members, /users refused
    assert rep.status() == 414 and rep.view()["members"] == old
    listed, users_session = rep.sessions()  # newest first: the replace, then the /users add
    assert users_session["stage"] == "processed" and listed["session_id"] == str(SID)
    assert listed["stage"] == "processing" and listed["num_matched"] == "-1" and listed["end_time"] == "0"
    for method in ("POST", "DELETE"):
        refused = rep.users(rows_for("new", 1), method=method)
        assert error_of(refused) == (2650, 1870145) and refused.json()["error"]["is_transient"] is True
    assert error_of(rep.batch(9, rows_for("late", 1))) == (2650, 1870159)

    graph.sim_post("clock", {"advance_seconds": 121})
    staged = {row[0] for rows in batches.values() for row in rows}
    view = rep.view()
    assert sorted(row[0] for row in view["members"]) == sorted(staged)  # exactly, deduped, old ones gone
    assert len(view["members"]) == 8 * 30 and view["operation_status"]["code"] == 200
    read = rep.read("operation_status,approximate_count_lower_bound,approximate_count_upper_bound")
    assert read["operation_status"] == {"code": 200, "description": "Normal"}
    assert (read["approximate_count_lower_bound"], read["approximate_count_upper_bound"]) == (240, 250)

    (listed,) = graph.get(f"{rep.audience_id}/sessions", session_id=str(SID)).json()["data"]
    assert listed["stage"] == "processed" and listed["num_received"] == str(total)
    assert listed["num_matched"] == str(total - 1) and listed["progress"] == "100"
    assert int(listed["end_time"]) >= int(listed["start_time"]) + 120
    (sim_session,) = [s for s in view["sessions"] if s["op"] == "replace"]
    assert sim_session["batches"][0] == 1 and sorted(sim_session["batches"]) == list(range(1, 9))
    assert sim_session["last_batch_flag_seen"] is True

    calls = [c for c in graph.sim_get("calls").json() if c["path"].endswith("/usersreplace")]
    assert len(calls) == 9
    assert all(c["op"] == "replace" and c["session_id"] == str(SID) for c in calls)
    assert [c["batch_seq"] for c in calls].count(1) == 1 and calls[0]["batch_seq"] == 1
    assert [c["last_batch_flag"] for c in calls] == [False] * 7 + [True, False]
    assert [c["rows"] for c in calls][:1] == [30] and calls[-1]["error_code"] == 2650
    assert not any("access_token" in json.dumps(c) or "proof" in json.dumps(c) for c in calls)
    # after the replace, /users works again
    assert rep.users(rows_for("new", 1)).status_code == 200


def test_batch_1_twice_is_refused_and_visible_in_the_call_log(rep, graph):
    assert rep.batch(1, rows_for("a", 2)).status_code == 200
    again = rep.batch(1, rows_for("b", 2))
    assert error_of(again) == (2650, 1870145)
    assert "Audience update in progress" in again.json()["error"]["message"]
    other = rep.batch(1, rows_for("c", 1), session_id=SID + 1)
    assert error_of(other) == (2650, 1870145)
    calls = [c for c in graph.sim_get("calls").json() if c["path"].endswith("/usersreplace")]
    assert [(c["session_id"], c["batch_seq"], c.get("error_code")) for c in calls] == [
        (str(SID), 1, None),
        (str(SID), 1, 2650),
        (str(SID + 1), 1, 2650),
    ]
    assert rep.view()["sessions"][0]["batches"] == [1]


def test_session_rules_and_parameter_errors(rep, graph):
    assert error_of(rep.batch(2, rows_for("a", 1))) == (2650, 1870147)
    form = {**graph.auth(), "payload": json.dumps({"schema": ["EMAIL"], "data": [[h("a")]]})}
    missing = requests.post(rep.url("usersreplace"), data=form, timeout=10)
    # Meta: every error of the replace endpoint is 2650; these have no documented subcode
    assert error_of(missing) == (2650, None)
    assert error_of(rep.batch(1, [[h("a"), h("b")]])) == (2650, None)  # row/schema mismatch
    assert requests.get(rep.url("usersreplace"), params=graph.auth(), timeout=10).status_code == 400
    assert rep.view()["sessions"] == [] and rep.status() == 200
    calls = [c for c in graph.sim_get("calls").json() if c["path"].endswith("/usersreplace")]
    assert "batch_seq" not in calls[1] and calls[1]["rows"] == 1  # no session: nothing to log for it


@pytest.mark.parametrize(
    ("payload", "session"),
    [
        (None, {"session_id": SID, "batch_seq": 1}),
        ("not json", {"session_id": SID, "batch_seq": 1}),
        (json.dumps({"schema": ["EMAIL"], "data": [[h("x")]] * 10_001}), {"session_id": SID, "batch_seq": 1}),
        (json.dumps({"schema": ["SHOE_SIZE"], "data": [["44"]]}), {"session_id": SID, "batch_seq": 1}),
        (json.dumps({"schema": ["EMAIL"], "data": [[h("x")]]}), {"session_id": -4, "batch_seq": 1}),
        (json.dumps({"schema": ["EMAIL"], "data": [[h("x")]]}), "not json"),
    ],
)
def test_malformed_replace_requests_are_2650_not_100(rep, graph, payload, session):
    form = {**graph.auth(), "session": session if isinstance(session, str) else json.dumps(session)}
    if payload is not None:
        form["payload"] = payload
    response = requests.post(rep.url("usersreplace"), data=form, timeout=30)
    assert error_of(response) == (2650, None)
    error = response.json()["error"]
    assert error["message"].startswith("(#2650) Failed to update the custom audience: ")
    assert error["is_transient"] is False
    assert rep.view()["sessions"] == [] and rep.status() == 200


def test_the_projects_replace_client_fails_the_replace_on_a_2650_without_subcode(sim, rep, ids):
    # Given the project's own Graph client and replace code
    from leadloop.graph import GraphClient
    from leadloop.replace import meta
    from leadloop.replace.errors import ReplaceFailed

    client = GraphClient(base_url=sim.base_url, version="v25.0", access_token=ids.page_token, app_secret=ids.app_secret)

    # When a batch Meta refuses as a malformed request (over 10,000 rows) is sent
    # Then the replace fails for good (no retry, no "window closed" or "session lost")
    with pytest.raises(ReplaceFailed, match="code=2650"):
        meta.send_replace_batch(
            client,
            rep.audience_id,
            ["EMAIL"],
            [[h(str(i))] for i in range(10_001)],
            session_id=SID,
            batch_seq=1,
            last=True,
            estimated_total=10_001,
            time_left=lambda: 600.0,
        )
    assert rep.view()["sessions"] == []


def test_window_timeout_via_config_and_clock(rep, graph):
    graph.sim_post("clock", {"frozen": True})
    config = graph.sim_post("config", {"replace_window_seconds": 600}).json()
    assert config["replace_window_seconds"] == 600 and config["replace_processing_seconds"] == 0
    assert rep.users(rows_for("old", 3)).status_code == 200
    assert rep.batch(1, rows_for("a", 2)).status_code == 200
    graph.sim_post("clock", {"advance_seconds": 600})
    assert rep.batch(2, rows_for("b", 2)).status_code == 200
    graph.sim_post("clock", {"advance_seconds": 1})
    timed_out = rep.batch(3, rows_for("c", 2), last=True)
    assert error_of(timed_out) == (2650, 1870158) and timed_out.json()["error"]["is_transient"] is False
    view = rep.view()
    assert view["members"] == rows_for("a", 2) + rows_for("b", 2) and view["operation_status"]["code"] == 200
    session = view["sessions"][-1]
    assert session["stage"] == "processed" and session["batches"] == [1, 2]
    assert session["last_batch_flag_seen"] is False


def test_size_hook_bounds_and_1870144(rep, graph):
    assert rep.users(rows_for("old", 3)).status_code == 200
    hooked = graph.sim_post(f"audiences/{rep.audience_id}/size", {"approximate_count": 100_000_000})
    assert hooked.json() == {"id": rep.audience_id, "approximate_count": 100_000_000}
    read = rep.read("approximate_count_lower_bound,approximate_count_upper_bound")
    assert (read["approximate_count_lower_bound"], read["approximate_count_upper_bound"]) == (
        100_000_000,
        110_000_000,
    )
    too_big = rep.batch(1, rows_for("a", 1), last=True)
    assert error_of(too_big) == (2650, 1870144)
    assert "DFCA size not supported for replace" in too_big.json()["error"]["message"]
    graph.sim_post(f"audiences/{rep.audience_id}/size", {"approximate_count": None})
    read = rep.read("approximate_count_lower_bound,approximate_count_upper_bound")
    assert (read["approximate_count_lower_bound"], read["approximate_count_upper_bound"]) == (3, 3)
    assert rep.batch(1, rows_for("a", 1), last=True).status_code == 200
    assert rep.view()["members"] == rows_for("a", 1)
    assert graph.sim_post("audiences/nope/size", {"approximate_count": 1}).status_code == 404
    assert graph.sim_post(f"audiences/{rep.audience_id}/size", {"approximate_count": -1}).status_code == 400
    assert graph.sim_post(f"audiences/{rep.audience_id}/size", {}).status_code == 400


def test_replace_outcome_hook_fails_once_with_415(rep, graph):
    assert rep.users(rows_for("old", 2)).status_code == 200
    armed = graph.sim_post(f"audiences/{rep.audience_id}/replace_outcome", {"outcome": "fail"})
    assert armed.json() == {"id": rep.audience_id, "outcome": "fail"}
    assert rep.batch(1, rows_for("a", 2)).status_code == 200
    failed = rep.batch(2, rows_for("b", 2), last=True)
    assert error_of(failed) == (2650, 1870148)
    view = rep.view()
    assert view["members"] == rows_for("old", 2) and view["operation_status"]["code"] == 415
    assert view["sessions"][-1]["stage"] == "failed" and view["sessions"][-1]["batches"] == [1, 2]
    assert rep.status() == 415 and rep.status() == 415  # stays on further reads
    # 415 does not block a new replace, and the hook was one-shot
    assert rep.batch(1, rows_for("n", 1), last=True, session_id=SID + 1).status_code == 200
    assert rep.view()["members"] == rows_for("n", 1) and rep.status() == 200
    # "ok" disarms it
    graph.sim_post(f"audiences/{rep.audience_id}/replace_outcome", {"outcome": "fail"})
    disarmed = graph.sim_post(f"audiences/{rep.audience_id}/replace_outcome", {"outcome": "ok"})
    assert disarmed.json()["outcome"] == "ok"
    assert rep.batch(1, rows_for("m", 1), last=True, session_id=SID + 2).status_code == 200
    assert graph.sim_post(f"audiences/{rep.audience_id}/replace_outcome", {"outcome": "maybe"}).status_code == 400


def test_usersofanyaudience_skips_an_audience_being_replaced(sim, rep, graph):
    other = sim.add_audience(None, ACCOUNT, name="Other")
    gone = rows_for("gone", 1)
    assert rep.users(gone).status_code == 200
    assert Replace(graph, other).users(gone).status_code == 200
    assert rep.batch(1, gone + rows_for("a", 1)).status_code == 200
    form = {**graph.auth(), "payload": json.dumps({"schema": ["EMAIL"], "data": gone})}
    response = requests.delete(f"{graph.base_url}/v25.0/{ACCOUNT}/usersofanyaudience", data=form, timeout=10)
    assert response.status_code == 200, response.text
    assert Replace(graph, other).view()["members"] == []
    assert rep.view()["members"] == gone  # untouched: its replace is open
    assert rep.batch(2, [], last=True).status_code == 200
    assert rep.view()["members"] == gone + rows_for("a", 1)


def test_manual_414_blocks_users_and_python_hooks(sim, rep):
    sim.set_audience_status(rep.audience_id, 414, "Replace in progress")
    assert error_of(rep.users(rows_for("a", 1))) == (2650, 1870145)
    assert error_of(rep.batch(1, rows_for("a", 1))) == (2650, 1870145)
    sim.set_audience_status(rep.audience_id, 200, "Normal")
    sim.set_audience_size(rep.audience_id, 150)
    assert rep.read("approximate_count_upper_bound")["approximate_count_upper_bound"] == 160
    sim.set_replace_outcome(rep.audience_id, "fail")
    assert error_of(rep.batch(1, rows_for("a", 1), last=True)) == (2650, 1870148)
    with pytest.raises(ValueError):
        sim.set_replace_outcome(rep.audience_id, "maybe")
